from .alerts import Threshold
from .profiles import Profile
from .queues import Queue, QueueCall
from .wallboards import Wallboard

__all__ = ["Profile", "Queue", "QueueCall", "Threshold", "Wallboard"]
