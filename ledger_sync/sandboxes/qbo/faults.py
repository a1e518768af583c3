"""QBO's refusals: the Fault body, its codes and messages as the real API returns them.

Every refusal is raised as `QboFault` wherever it is found; the app renders it as
`{"Fault": {"Error": [...], "type": ...}, "time": ...}`, and a batch puts the same Fault object in the item.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultError:
    message: str
    detail: str
    code: str
    element: str = ""

    def wire(self) -> dict[str, str]:
        return {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}


class QboFault(Exception):
    """A refusal with its HTTP status; `fault()` is the wire Fault object."""

    def __init__(
        self,
        error: FaultError,
        *,
        fault_type: str = "ValidationFault",
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error.code} {error.message}: {error.detail}")
        self.error = error
        self.fault_type = fault_type
        self.status = status
        self.headers = headers or {}

    def fault(self) -> dict[str, object]:
        return {"Error": [self.error.wire()], "type": self.fault_type}


INACTIVE_DETAIL = (
    "Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)


def invalid_json() -> QboFault:
    return QboFault(
        FaultError(
            "Request has invalid or unsupported property",
            "Property Name:failed to parse json object; a property specified is unsupported or invalid",
            "2010",
        )
    )


def required(element: str) -> QboFault:
    return QboFault(
        FaultError(
            "Required param missing, need to supply the required value for the API",
            f"Required parameter {element} is missing in the request",
            "2020",
            element,
        )
    )


def invalid_value(element: str) -> QboFault:
    return QboFault(
        FaultError("Request has invalid or unsupported property", f"Property Name:{element} has invalid value", "2010")
    )


def invalid_characters(element: str) -> QboFault:
    return QboFault(
        FaultError(
            "Invalid String",
            f"Element contains invalid characters : {element} may not contain a colon, tab or newline",
            "2040",
            element,
        )
    )


def unstorable_characters(element: str) -> QboFault:
    """A character XML 1.0 cannot hold (see `fields`): the fault QBO gives for characters it refuses in a name."""
    return QboFault(
        FaultError(
            "Invalid String",
            f"Element contains invalid characters : {element} holds a character XML 1.0 cannot hold",
            "2040",
            element,
        )
    )


def string_length(element: str, maximum: int, supplied: int) -> QboFault:
    return QboFault(
        FaultError(
            "String length is either shorter or longer than supported by specification",
            f"String length specified does not match the supported length. Min:0 Max:{maximum} supported. "
            f"Supplied length:{supplied}",
            "2050",
            element,
        )
    )


def invalid_reference(element: str) -> QboFault:
    return QboFault(FaultError("Invalid Reference Id", f"Invalid Reference Id : {element}", "2500", element))


def object_not_found(element: str = "") -> QboFault:
    return QboFault(FaultError("Object Not Found", f"Object Not Found : {INACTIVE_DETAIL}", "610", element))


def stale_object() -> QboFault:
    return QboFault(
        FaultError(
            "Stale Object Error",
            "Stale Object Error : You and Anonymous were working on this at the same time. "
            "Anonymous finished before you did, so your work was not saved.",
            "5010",
            "SyncToken",
        )
    )


def period_closed() -> QboFault:
    """A write dated on or before the books' closing date. QBO answers it under the stale-object code, 5010, with
    its own message and an unformatted placeholder in its Detail (python-quickbooks#208), so a client must read the
    message to tell it from a stale SyncToken."""
    return QboFault(FaultError("Account Period Closed", "The account period has closed. {1}", "5010"))


def duplicate_name(existing_id: str, kinds: str) -> QboFault:
    return QboFault(
        FaultError(
            "Duplicate Name Exists Error",
            f"The name supplied already exists. : Id={existing_id} Another {kinds} is already using this name. "
            "Please use a different name.",
            "6240",
        )
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return QboFault(
        FaultError(
            "Duplicate Document Number Error",
            "Duplicate Document Number Error : You must specify a different number. This number has already been "
            f"used. DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}",
            "6140",
        )
    )


def amount_mismatch(amount: object) -> QboFault:
    return QboFault(
        FaultError(
            "Amount calculation incorrect in the request",
            f"Business Validation Error: Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
            "6070",
            "Line.Amount",
        )
    )


def business(detail: str) -> QboFault:
    return QboFault(
        FaultError(
            "A business validation error has occurred while processing your request",
            f"Business Validation Error: {detail}",
            "6000",
        )
    )


def us_line_tax_code() -> QboFault:
    """A US company's sales line with a TaxCodeRef other than TAX or NON (Stack Overflow q/30780062)."""
    return QboFault(
        FaultError(
            "A business validation error has occurred while processing your request",
            "Business Validation Error: Valid line TaxCodes for US should be TAX or NON",
            "6100",
            "Line.SalesItemLineDetail.TaxCodeRef",
        )
    )


def unexpected_error() -> QboFault:
    """What QBO answered item by item to a replayed batch (quickbooks-ruby#344): it does not say what it did."""
    return QboFault(
        FaultError(
            "A business validation error has occurred while processing your request",
            "Business Validation Error: An unexpected error occurred while accessing or saving your data. "
            "Please wait a few minutes and try again.  If the problem persists, contact customer support.",
            "6000",
        )
    )


def unsupported_operation(detail: str) -> QboFault:
    return QboFault(FaultError("Unsupported Operation", f"Operation {detail} is not supported.", "500"))


def query_parse(detail: str) -> QboFault:
    return QboFault(FaultError("Error parsing query", f"QueryParserError: {detail}", "4000"))


def query_validation(detail: str) -> QboFault:
    return QboFault(FaultError("Invalid query", f"QueryValidationError: {detail}", "4001"))


def batch_too_large(count: int, maximum: int) -> QboFault:
    return QboFault(
        FaultError(
            "Batch request has too many items",
            f"The batch request contains {count} BatchItemRequest items; at most {maximum} are supported.",
            "5000",
            "BatchItemRequest",
        )
    )


def throttled() -> QboFault:
    """Over a per-realm limit. Real QBO sends no Retry-After: clients must back off on their own."""
    return QboFault(
        FaultError(
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.",
            "3001",
        ),
        fault_type="ThrottleExceeded",
        status=429,
    )


def system_failure() -> QboFault:
    """QBO's own outage answer (HTTP 500, SystemFault 10000): nothing was done, try again later."""
    return QboFault(
        FaultError(
            "An application error has occurred while processing your request",
            "System Failure Error: An unexpected error occurred while accessing or saving your data. "
            "Please wait a few minutes and try again. If the problem persists, contact customer support.",
            "10000",
        ),
        fault_type="SystemFault",
        status=500,
    )


def authentication_failed(detail: str) -> QboFault:
    return QboFault(
        FaultError("message=AuthenticationFailed; errorCode=003200; statusCode=401", detail, "3200"),
        fault_type="AuthenticationFault",
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
    )


def envelope(fault: QboFault, time: str) -> dict[str, object]:
    """The whole response body of a refused request."""
    return {"Fault": fault.fault(), "time": time}
