"""Built-in detectors: importing this package registers each one."""

from datacustoms.detect.builtin import (  # noqa: F401
    dates,
    demographics,
    digest,
    email,
    iban,
    ids,
    kr_documents,
    kr_landline,
    kr_mobile,
    kr_places,
    kr_rrn,
    login_id,
    masked,
    money,
    name_ko,
    network,
    payment_card,
    phone,
    text,
    uuids,
)
