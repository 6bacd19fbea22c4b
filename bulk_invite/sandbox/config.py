"""Sandbox settings: the account it pretends to be, its exam catalog and its fault knobs."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

#: The API key the sandbox accepts unless told otherwise; it unlocks nothing real.
DEMO_API_KEY = "sandbox-demo-key"

#: Which body key carries error text: per message as Qualiphy does ("mixed"), or one key for all.
MessageKey = Literal["mixed", "message", "error_message"]


@dataclass(frozen=True)
class SandboxExam:
    """One exam of the sandbox clinic, shaped like an ``/api/exam_list`` entry."""

    id: int
    title: str
    rx_type: int = 1
    price: str | None = None
    attachments_required: int = 1
    attachments: tuple[str, ...] = ()

    @property
    def is_rx(self) -> bool:
        """True for a prescriptive exam (``rx_type`` 2)."""
        return self.rx_type == 2

    def to_json(self) -> dict[str, Any]:
        """The exam as ``/api/exam_list`` returns it."""
        return {
            "id": self.id,
            "title": self.title,
            "rx_type": self.rx_type,
            "price": self.price,
            "attachments_required": self.attachments_required,
            "attachments": list(self.attachments),
        }


#: The five exams of the OpenAPI ``/exam_list`` example, then a GFE for test mode (``TE``).
DEFAULT_EXAMS: tuple[SandboxExam, ...] = (
    SandboxExam(2228, "Embrace Aging GFE (Dermal Fillers, Botox, PDO, Microneedling PRP)"),
    SandboxExam(1822, "Clinical Evaluation for Injectables & Lifting", price="27.99"),
    SandboxExam(
        2769,
        "3 Month Supply: Semaglutide with Medication Shipping (No Labwork Required)",
        rx_type=2,
        attachments_required=2,
        attachments=("ID",),
    ),
    SandboxExam(
        3702,
        "3 Month Supply: Semaglutide with Medication Shipping (With Lab-work Upload)",
        rx_type=2,
        attachments_required=2,
        attachments=("ID", "Lab"),
    ),
    SandboxExam(
        1486,
        "Urgent Care - Acne (Doxycycline, Clindamycin, Benzoyl Peroxide) Treatment",
        rx_type=2,
        attachments_required=2,
        attachments=("ID",),
    ),
    SandboxExam(4226, "GFE Aesthetic (Test Mode)", price="27.99"),
)


def parse_states(text: str) -> frozenset[str]:
    """``"AL,MS"`` → ``{"AL", "MS"}``; an empty string means no state."""
    return frozenset(s.strip().upper() for s in text.split(",") if s.strip())


def _flag(help: str, parse: Callable[[str], Any] | None = None) -> dict[str, Any]:
    # The help and parser ride on each field so every front end (argparse, click) builds the same
    # flags from one list; ``parse`` None means "use the default's own type".
    return {"help": help, "parse": parse}


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox behaves: account state, latency and per-request fault probabilities."""

    api_key: str = field(default=DEMO_API_KEY, metadata=_flag("API key the sandbox accepts."))
    clinic_id: int = field(default=1234, metadata=_flag("clinic_id returned by /api/exam_list."))
    exams: tuple[SandboxExam, ...] = field(
        default=DEFAULT_EXAMS, metadata=_flag("The clinic's exam catalog.")
    )
    no_provider_states: frozenset[str] = field(
        default=frozenset({"AL", "MS"}),
        metadata=_flag(
            "Comma-separated tele_state codes with no Patient Care Provider (401).", parse_states
        ),
    )
    contract_signed: bool = field(
        default=True, metadata=_flag("Onboarding contract signed (else every invite is 401).")
    )
    rx_contract_signed: bool = field(
        default=True, metadata=_flag("Prescriptive Services Contract signed (else Rx 401).")
    )
    message_key: MessageKey = field(
        default="mixed",
        metadata=_flag("Error text key: mixed (as Qualiphy), message or error_message.", str),
    )
    latency: float = field(default=0.0, metadata=_flag("Seconds to wait before every answer."))
    latency_jitter: float = field(
        default=0.0, metadata=_flag("Extra random wait, uniform in [0, jitter] seconds.")
    )
    p_500: float = field(
        default=0.0, metadata=_flag("Probability: create the invite, then answer 500.")
    )
    p_503: float = field(
        default=0.0, metadata=_flag("Probability: answer 503 without creating anything.")
    )
    p_429: float = field(
        default=0.0, metadata=_flag("Probability: answer 429 with Retry-After, creating nothing.")
    )
    p_drop_after_read: float = field(
        default=0.0,
        metadata=_flag(
            "Probability: create the invite, then close the connection without an answer."
        ),
    )
    p_late: float = field(
        default=0.0, metadata=_flag("Probability: create the invite, answer after --late-seconds.")
    )
    late_seconds: float = field(
        default=5.0, metadata=_flag("Delay of a late answer (exceed the client's read timeout).")
    )
    retry_after: int = field(
        default=1, metadata=_flag("Retry-After seconds sent with 429 (and 503).")
    )
    retry_after_on_503: bool = field(
        default=True, metadata=_flag("Send Retry-After with 503 answers too.")
    )
    rate_limit: int = field(
        default=0,
        metadata=_flag("Answer 429 when more than N requests arrive within 1 s (0 = off)."),
    )
    seed: int | None = field(
        default=None, metadata=_flag("Seed of the fault generator, for reproducible runs.", int)
    )
    redirect_to: str | None = field(
        default=None, metadata=_flag("Answer every request with a redirect here.", str)
    )
    redirect_status: int = field(
        default=307, metadata=_flag("Status code of those redirects (301/302/303/307/308).")
    )
    huge_response: bool = field(
        default=False,
        metadata=_flag("Answer successes with Content-Length 1 GiB, then a few bytes and close."),
    )
    first_patient_exam_id: int = field(
        default=4844, metadata=_flag("First patient_exam_id handed out.")
    )

    def __post_init__(self) -> None:
        probabilities = {
            "p_500": self.p_500,
            "p_503": self.p_503,
            "p_429": self.p_429,
            "p_drop_after_read": self.p_drop_after_read,
            "p_late": self.p_late,
        }
        for name, p in probabilities.items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1, not {p}.")
        if math.fsum(probabilities.values()) > 1.0 + 1e-9:
            # One draw per request picks at most one fault, so the shares must fit in [0, 1].
            raise ValueError("The fault probabilities p_* must add up to at most 1.")
        for name in ("latency", "latency_jitter", "late_seconds"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be zero or more seconds.")
        if self.retry_after < 0 or self.rate_limit < 0:
            raise ValueError("retry_after and rate_limit must be zero or more.")
        if self.message_key not in ("mixed", "message", "error_message"):
            raise ValueError("message_key must be 'mixed', 'message' or 'error_message'.")
        if self.redirect_status not in (301, 302, 303, 307, 308):
            raise ValueError("redirect_status must be one of 301, 302, 303, 307, 308.")
        if not self.api_key:
            raise ValueError("api_key must not be empty.")
        object.__setattr__(self, "no_provider_states", frozenset(self.no_provider_states))
        object.__setattr__(self, "exams", tuple(self.exams))

    def exam(self, exam_id: int) -> SandboxExam | None:
        """The catalog entry with this id, if the clinic has it."""
        return next((e for e in self.exams if e.id == exam_id), None)


@dataclass(frozen=True)
class ConfigOption:
    """One ``SandboxConfig`` field as a command-line flag: name, default, help and parser."""

    name: str
    flag: str
    default: Any
    help: str
    parse: Callable[[str], Any]
    is_bool: bool


def config_options() -> list[ConfigOption]:
    """Every field that can be set from a command line (all but the exam catalog)."""
    options = []
    for f in dataclasses.fields(SandboxConfig):
        if f.name == "exams":
            continue
        parse = f.metadata["parse"] or type(f.default)
        options.append(
            ConfigOption(
                name=f.name,
                flag="--" + f.name.replace("_", "-"),
                default=f.default,
                help=f.metadata["help"],
                parse=parse,
                is_bool=isinstance(f.default, bool),
            )
        )
    return options
