from api.controllers.batches import BatchController
from api.controllers.evaluations import EvaluationController
from api.controllers.feedback import FeedbackController
from api.controllers.health import HealthController
from api.controllers.prompts import PromptController
from api.controllers.rewrites import RewriteController

ALL_CONTROLLERS = [
    RewriteController,
    EvaluationController,
    PromptController,
    FeedbackController,
    BatchController,
    HealthController,
]
