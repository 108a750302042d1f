"""Re-seal every stored sealed value under the key ring's current key: the heart of a key rotation.

infra/rotate.py runs it offline, after the new key has reached every container. A value
already under the current key is left alone, so a run cut short is simply run again. A value
changed while it was being re-sealed is counted, not overwritten: the caller passes again.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.storage import sealed as sealed_fields
from chalicelib.adapters.crypto import FieldCipher, KeyUnavailable
from chalicelib.services.idempotency import SEALED_CONTEXT
from chalicelib.services.notify import payload_context as notice_context


@dataclass
class Tally:
    resealed: int = 0
    current: int = 0  # under the current key already
    changed: int = 0  # changed meanwhile: to be read again
    unreadable: int = 0  # opened by no key of the ring (tampered, or another stack's)

    @property
    def settled(self) -> bool:
        """Nothing was left for another pass."""
        return not (self.resealed or self.changed)


def _context(sealed: sealed_fields.Sealed) -> str:
    """What each field is bound to, as the code that sealed it bound it."""
    if sealed.field == "outbox":
        return notice_context(sealed.tracking_no)
    if sealed.field == "idempotency":
        return SEALED_CONTEXT
    return sealed.tracking_no  # an order's contact, a claim's query code


def reseal_everything(cipher: FieldCipher, page_size: int = 100) -> dict[str, Tally]:
    from cryptography.exceptions import InvalidTag

    tallies = {}
    for field in sealed_fields.SEALED_FIELDS:
        tally = tallies[field] = Tally()
        for sealed in sealed_fields.sealed_values(field, page_size):
            try:
                value = cipher.reseal(sealed.value, _context(sealed))
            except (InvalidTag, KeyUnavailable):
                tally.unreadable += 1
                continue
            if value is None:
                tally.current += 1
            elif sealed_fields.replace_sealed(sealed, value):
                tally.resealed += 1
            else:
                tally.changed += 1
    return tallies
