"""oncely — calls to remote APIs that happen once (typed interface)."""

from oncely._native import (
    AsyncClient as AsyncClient,
)
from oncely._native import (
    AsyncOperation as AsyncOperation,
)
from oncely._native import (
    CircuitBreaker as CircuitBreaker,
)
from oncely._native import (
    CircuitOpenError as CircuitOpenError,
)
from oncely._native import (
    Client as Client,
)
from oncely._native import (
    DecodeError as DecodeError,
)
from oncely._native import (
    Done as Done,
)
from oncely._native import (
    Error as Error,
)
from oncely._native import (
    IdempotencyConflictError as IdempotencyConflictError,
)
from oncely._native import (
    InternalError as InternalError,
)
from oncely._native import (
    InvalidInputError as InvalidInputError,
)
from oncely._native import (
    InvalidResumeTokenError as InvalidResumeTokenError,
)
from oncely._native import (
    Operation as Operation,
)
from oncely._native import (
    OperationFailedError as OperationFailedError,
)
from oncely._native import (
    PreconditionFailedError as PreconditionFailedError,
)
from oncely._native import (
    ProblemError as ProblemError,
)
from oncely._native import (
    Progress as Progress,
)
from oncely._native import (
    ProtocolError as ProtocolError,
)
from oncely._native import (
    Response as Response,
)
from oncely._native import (
    RetryAfterTooLongError as RetryAfterTooLongError,
)
from oncely._native import (
    RetryBudget as RetryBudget,
)
from oncely._native import (
    RetryExhaustedError as RetryExhaustedError,
)
from oncely._native import (
    RetryPolicy as RetryPolicy,
)
from oncely._native import (
    StatusError as StatusError,
)
from oncely._native import (
    Store as Store,
)
from oncely._native import (
    StoreError as StoreError,
)
from oncely._native import (
    TimeoutError as TimeoutError,
)
from oncely._native import (
    TransportError as TransportError,
)
from oncely._native import (
    WorkflowError as WorkflowError,
)
from oncely._native import (
    __version__ as __version__,
)
from oncely._native import (
    refresh_logging as refresh_logging,
)
