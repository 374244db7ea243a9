"""Built-in detectors, in the order they are tried (ties in score and priority keep the first)."""

from datacustoms.detect.base import Detector
from datacustoms.detect.builtin import (
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

BUILTIN_DETECTORS: tuple[type[Detector], ...] = (
    dates.DateColumn, dates.BirthDate, dates.Timestamp,
    demographics.BirthYear, demographics.Age, demographics.Sex,
    digest.Digest, email.Email, iban.Iban,
    ids.KoreanBankAccount, ids.CustomerId,
    kr_documents.KoreanDriverLicence, kr_documents.KoreanPassport,
    kr_mobile.KoreanMobile, kr_landline.KoreanLandline,
    kr_places.KoreanRegion, kr_places.KoreanAddress, kr_places.KoreanPostcode,
    kr_rrn.KoreanRRN, phone.InternationalPhone, login_id.EmailOrPhone, masked.Masked,
    money.Amount, name_ko.KoreanName,
    network.IPv4, network.IPv6, network.MacAddress,
    payment_card.PaymentCard, text.Category, text.FreeText, uuids.Uuid,
)  # fmt: skip
