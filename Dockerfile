# For docker-compose.yml, a sketch of a production deployment. No Docker engine runs on our
# development machines, so this file is not exercised by `make test`.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
ENV DJANGO_DEBUG=false
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
