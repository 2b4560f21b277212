from .queues import Queue, QueueCall
from .wallboards import Wallboard

__all__ = ["Queue", "QueueCall", "Wallboard"]
