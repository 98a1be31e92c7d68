"""CloudStack's error model: ApiErrorCode (HTTP status) plus CSExceptionErrorCode.

Handlers raise `ApiError`; the dispatcher turns it into the error envelope, or into a failed
async job. The helpers mirror the Java exceptions the real service layer throws and the code
`ApiServer.handleRequest` maps each one to.
"""

from __future__ import annotations

# ApiErrorCode (api/src/main/java/org/apache/cloudstack/api/ApiErrorCode.java)
BAD_REQUEST = 400
UNAUTHORIZED = 401
METHOD_NOT_ALLOWED = 405
MALFORMED_PARAMETER_ERROR = 430
PARAM_ERROR = 431
UNSUPPORTED_ACTION_ERROR = 432
SERVICE_UNAVAILABLE = 503
INTERNAL_ERROR = 530
ACCOUNT_ERROR = 531
ACCOUNT_RESOURCE_LIMIT_ERROR = 532
INSUFFICIENT_CAPACITY_ERROR = 533
RESOURCE_UNAVAILABLE_ERROR = 534
RESOURCE_ALLOCATION_ERROR = 535
RESOURCE_IN_USE_ERROR = 536

# CSExceptionErrorCode (utils/src/main/java/com/cloud/utils/exception/CSExceptionErrorCode.java)
CS_SERVER_API = 9999
CS_CLOUD_RUNTIME = 4250
CS_INVALID_PARAMETER_VALUE = 4350
CS_PERMISSION_DENIED = 4365
CS_RESOURCE_ALLOCATION = 4370
CS_RESOURCE_IN_USE = 4375
CS_RESOURCE_UNAVAILABLE = 4380
CS_CONCURRENT_OPERATION = 4300
CS_INSUFFICIENT_CAPACITY = 4325


class ApiError(Exception):
    """An API failure as the server reports it: errorcode (= HTTP status), cserrorcode, text.

    `cserrorcode=None` leaves the key out of the envelope, as the servlet's own 401/405
    replies do.
    """

    def __init__(self, errorcode: int, errortext: str, cserrorcode: int | None = CS_SERVER_API) -> None:
        super().__init__(errortext)
        self.errorcode = errorcode
        self.errortext = errortext
        self.cserrorcode = cserrorcode


def invalid_parameter(text: str) -> ApiError:
    """InvalidParameterValueException from the service layer: 431 / 4350."""
    return ApiError(PARAM_ERROR, text, CS_INVALID_PARAMETER_VALUE)


def cloud_runtime(text: str) -> ApiError:
    """CloudRuntimeException: an unhandled exception, so 530 / 4250."""
    return ApiError(INTERNAL_ERROR, text, CS_CLOUD_RUNTIME)


def permission_denied(text: str) -> ApiError:
    """PermissionDeniedException: 531 / 4365."""
    return ApiError(ACCOUNT_ERROR, text, CS_PERMISSION_DENIED)


def resource_in_use(text: str) -> ApiError:
    """ResourceInUseException is not mapped by handleRequest, so it surfaces as 530 / 4375."""
    return ApiError(INTERNAL_ERROR, text, CS_RESOURCE_IN_USE)


def resource_unavailable(text: str) -> ApiError:
    """ResourceUnavailableException: 534 / 4380."""
    return ApiError(RESOURCE_UNAVAILABLE_ERROR, text, CS_RESOURCE_UNAVAILABLE)


def resource_allocation(text: str) -> ApiError:
    """ResourceAllocationException: 535 / 4370."""
    return ApiError(RESOURCE_ALLOCATION_ERROR, text, CS_RESOURCE_ALLOCATION)


def concurrent_operation(text: str) -> ApiError:
    """ConcurrentOperationException: unmapped, so 530 / 4300."""
    return ApiError(INTERNAL_ERROR, text, CS_CONCURRENT_OPERATION)
