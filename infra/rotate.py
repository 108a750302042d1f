"""Rotate a stage's field-encryption key: what `make rotate-key STAGE=…` runs.

    python -m infra.rotate --stage prod

The field key parameter (FieldKeyParameterName, an SSM SecureString) holds a key ring
(chalicelib/adapters/crypto.py): the root key, which the keyed hashes, signatures and
residents' tokens derive from and which never changes (phones, query codes and API keys are
stored only hashed: nothing could hash them again), and the sealing keys by id, one current.
Rotation replaces the sealing key, in either suite (the stack's CryptoSuite):

1. a new random sealing key is made current; the old ones stay in the ring, to open what they sealed;
2. it waits SETTLE_SECONDS, so that every container has read the new ring (they read it again
   after crypto.RING_SECONDS) and seals under the new key;
3. it re-seals every stored sealed value (orders' contacts, claims' query codes, outbox payloads,
   idempotency records' answers: chalicelib/storage/sealed.py) under the new key, each write
   conditional on the value read; it passes again, SETTLE_SECONDS later, until a pass finds
   nothing left: a request that read an order before its re-seal and saves it after (an order
   is saved whole) puts the old ciphertext back, and has finished by then;
4. the old sealing keys are removed from the ring — unless messages wait in the notify queue or its
   dead-letter queue, whose bodies carry payloads sealed under them and cannot be rewritten: then
   the old keys stay, and running it again once the queues are empty finishes the rotation.

Every step can be cut short and run again: a ring with more than one key is a rotation under
way, which a new run resumes (no second new key); values under the current key are left alone.
Not covered: the root key (see above); backups (point-in-time recovery, the 35 days of a deleted
table's backup) keep values sealed under the old keys, which no longer open once those are removed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

from infra import build, deploy

# Longer than a container keeps the ring it read (crypto.RING_SECONDS, 300) and than the longest
# function runs (the escalation sweep, 300 s), which may hold an order it read that long.
SETTLE_SECONDS = 360


def read_ring(ssm, name: str):
    """The ring in the parameter, when it was last written, and its KMS key (kept when writing it again)."""
    from chalicelib.adapters.crypto import KeyRing

    try:
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        raise deploy.DeployError(f"{name} does not exist: deploy the stage first (make deploy)") from None
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    return KeyRing.parse(value), described["LastModifiedDate"], described.get("KeyId")


def write_ring(ssm, name: str, ring, kms_key: str | None) -> None:
    ssm.put_parameter(
        Name=name, Value=ring.dump(), Type="SecureString", Overwrite=True, **({"KeyId": kms_key} if kms_key else {})
    )


def messages_waiting(sqs, queue_names: list[str]) -> int:
    """Messages in the queues (visible, in flight or delayed): their bodies are sealed as they were sent."""
    kinds = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]
    total = 0
    for name in queue_names:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=kinds)["Attributes"]
        total += sum(int(attributes.get(kind, 0)) for kind in kinds)
    return total


def rotate(ssm, sqs, parameter: str, suite: str, queue_names: list[str], settle_seconds: float = SETTLE_SECONDS,
           sleep=time.sleep, now=lambda: dt.datetime.now(dt.timezone.utc), page_size: int = 100):
    """Rotate the sealing key of the ring in ``parameter`` (steps above); the ring as it is left."""
    from chalicelib.adapters.crypto import FieldCipher, suite_named
    from chalicelib.services.rekey import reseal_everything

    ring, written, kms_key = read_ring(ssm, parameter)
    if len(ring.keys) == 1:
        ring = ring.with_new_key(os.urandom(32))
        write_ring(ssm, parameter, ring, kms_key)
        written = now()
        print(f"key {ring.current} is the new sealing key; the old ones open what they sealed until it is re-sealed")
    else:
        print(f"resuming the rotation to key {ring.current} (the ring still holds keys {sorted(set(ring.keys) - {ring.current})})")
    remaining = settle_seconds - (now() - written).total_seconds()
    if remaining > 0:
        print(f"waiting {remaining:.0f} s for every container to read the new ring …")
        sleep(remaining)
    cipher = FieldCipher(ring, suite_named(suite))
    while True:
        tallies = reseal_everything(cipher, page_size)
        for field, tally in tallies.items():
            print(f"  {field:12} re-sealed {tally.resealed}, already current {tally.current}, "
                  f"changed meanwhile {tally.changed}, unreadable {tally.unreadable}")
        if all(tally.settled for tally in tallies.values()):
            break
        print(f"passing again in {settle_seconds:.0f} s (requests that read an old value have saved by then) …")
        sleep(settle_seconds)
    if any(tally.unreadable for tally in tallies.values()):
        print("warning: some values open under no key of the ring (tampered, or sealed elsewhere): they stay as they are")
    waiting = messages_waiting(sqs, queue_names)
    if waiting:
        print(f"{waiting} messages wait in {', '.join(queue_names)}, sealed as they were sent: the old keys stay. "
              "Run make rotate-key again once the queues are empty.")
        return ring
    ring = ring.retired()
    write_ring(ssm, parameter, ring, kms_key)
    print(f"done: every stored value is sealed under key {ring.current}; the old sealing keys are removed")
    return ring


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.rotate", description="Rotate a stage's field-encryption key.")
    parser.add_argument("--stage", required=True)
    parser.add_argument("--settle-seconds", type=float, default=SETTLE_SECONDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        current = deploy.session()
        name = deploy.stack_name(args.stage)
        stack = deploy.existing_stack(current.client("cloudformation"), name)
        if stack is None:
            raise deploy.DeployError(f"{name} does not exist in {current.region_name}: nothing to rotate")
        parameter = deploy.previous_value(stack, "FieldKeyParameterName") or build.field_key_parameter(args.stage)
        suite = deploy.previous_value(stack, "CryptoSuite") or "aes"
        # The storage models take their tables' names from the environment when first imported.
        os.environ["TABLE_PREFIX"] = name
        from chalicelib.adapters.queue import dead_letter_queue_name

        queue = f"{name}-notify"  # as resources.yaml names it
        print(f"stack {name} ({suite}), key ring {parameter}")
        queues = [queue, dead_letter_queue_name(queue)]
        rotate(current.client("ssm"), current.client("sqs"), parameter, suite, queues, args.settle_seconds)
    except deploy.DeployError as exc:
        print(f"rotate-key failed: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
