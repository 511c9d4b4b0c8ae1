"""Each tracking provider's documented webhook payload, with our message id,
address and time put in, and what it takes to post one (the shared secret,
Mailgun's and SendGrid's signing keys): for test_webhooks.py and the results
end to end."""

import base64
import hashlib
import hmac
import json
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SECRET = "anymail-user:s3cret-pass"
MAILGUN_KEY = "key-mailgun-signing-0123456789"
SENDGRID_PRIVATE = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(
    SENDGRID_PRIVATE.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
ANYMAIL = {
    "WEBHOOK_SECRET": SECRET,
    "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": SENDGRID_PUBLIC,
}


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


# Each provider's documented payload, with our message id, address and time
# put in. kind: "bounce", "soft", "complaint" or "delivery".


def postmark(kind, message_id, address, at):
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    if kind == "delivery":
        return {
            "RecordType": "Delivery",
            "ServerID": 23,
            "MessageStream": "outbound",
            "MessageID": message_id,
            "Recipient": address,
            "Tag": "welcome-email",
            "DeliveredAt": stamp,
            "Details": "Test delivery webhook details",
            "Metadata": {"example": "value"},
        }
    types = {
        "bounce": ("Bounce", "HardBounce", 1, "Hard bounce"),
        "soft": ("Bounce", "SoftBounce", 4096, "Soft bounce"),
        "complaint": ("SpamComplaint", "SpamComplaint", 512, "Spam complaint"),
    }
    record, kind_type, code, name = types[kind]
    return {
        "RecordType": record,
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind_type,
        "TypeCode": code,
        "Name": name,
        "Tag": "Test",
        "MessageID": message_id,
        "Metadata": {"a_key": "a_value"},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message "
        "(ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach "
        "does not exist.",
        "Email": address,
        "From": "sender@example.com",
        "BouncedAt": stamp,
        "DumpAvailable": True,
        "Inactive": kind != "soft",
        "CanActivate": True,
        "Subject": "Test subject",
        "Content": "<Full dump of bounce>",
    }


def ses_event(kind, message_id, address, at):
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    mail = {
        "timestamp": stamp,
        "source": "Daily Brief <daily@example.com>",
        "sendingAccountId": "123456789012",
        "messageId": message_id,
        "destination": [address],
        "headersTruncated": False,
        "headers": [{"name": "Subject", "value": "The day in briefs"}],
        "commonHeaders": {
            "from": ["Daily Brief <daily@example.com>"],
            "to": [address],
            "messageId": message_id,
            "subject": "The day in briefs",
        },
        "tags": {"ses:configuration-set": ["ConfigSet"]},
    }
    if kind == "delivery":
        return {
            "eventType": "Delivery",
            "mail": mail,
            "delivery": {
                "timestamp": stamp,
                "processingTimeMillis": 546,
                "recipients": [address],
                "smtpResponse": "250 2.6.0 Message received",
                "reportingMTA": "mta.example.com",
            },
        }
    if kind == "complaint":
        return {
            "eventType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": address}],
                "timestamp": stamp,
                "feedbackId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a",
                "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
                "complaintFeedbackType": "abuse",
                "arrivalDate": stamp,
            },
            "mail": mail,
        }
    return {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent" if kind == "bounce" else "Transient",
            "bounceSubType": "General" if kind == "bounce" else "MailboxFull",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": stamp,
            "feedbackId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a",
            "reportingMTA": "dsn; mta.example.com",
        },
        "mail": mail,
    }


def sns(kind, message_id, address, at):
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:SES_Events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event(kind, message_id, address, at)),
        "Timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+..",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/"
        "SimpleNotificationService-0000000000000000000000.pem",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe",
    }


def mailgun(kind, message_id, address, at, *, key=MAILGUN_KEY):
    timestamp = str(int(time.time()))
    token = hashlib.sha256(f"{kind}{message_id}".encode()).hexdigest()[:50]
    event = {
        "bounce": "failed",
        "soft": "failed",
        "complaint": "complained",
        "delivery": "delivered",
    }[kind]
    data = {
        "event": event,
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": at.timestamp(),
        "log-level": "error" if event == "failed" else "info",
        "recipient": address,
        "message": {
            "headers": {
                "to": f"Alice <{address}>",
                "message-id": message_id.strip("<>"),
                "from": "Bob <bob@mg.example.com>",
                "subject": "Test webhook",
            },
            "attachments": [],
            "size": 111,
        },
        "tags": ["my_tag_1"],
        "user-variables": {},
    }
    if event == "failed":
        data["severity"] = "permanent"
        data["reason"] = "bounce" if kind == "bounce" else "generic"
        data["delivery-status"] = {
            "attempt-no": 1,
            "message": "No Such User Here" if kind == "bounce" else "Mailbox full",
            "code": 550 if kind == "bounce" else 452,
            "description": "Not delivered",
            "session-seconds": 0.0,
        }
    elif event == "delivered":
        data["delivery-status"] = {"code": 250, "message": "OK", "description": ""}
    signature = hmac.new(
        key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }


def sendgrid(kind, message_id, address, at):
    event = {
        "email": address,
        "timestamp": int(at.timestamp()),
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "category": ["newsletter"],
        "sg_event_id": "sg_event_id",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "anymail_id": message_id,
    }
    if kind == "delivery":
        event.update(event="delivered", response="250 OK")
    elif kind == "complaint":
        event.update(event="spamreport")
    else:
        event.update(
            event="bounce",
            reason="500 unknown recipient" if kind == "bounce" else "452 mailbox full",
            status="5.0.0" if kind == "bounce" else "4.2.2",
            type="bounce" if kind == "bounce" else "blocked",
        )
    return [event]


def brevo(kind, message_id, address, at):
    event = {
        "bounce": "hard_bounce",
        "soft": "soft_bounce",
        "complaint": "spam",
        "delivery": "delivered",
    }[kind]
    payload = {
        "event": event,
        "email": address,
        "id": 123456,
        "date": at.strftime("%Y-%m-%d %H:%M:%S"),
        "ts": int(at.timestamp()),
        "message-id": message_id,
        "ts_event": int(at.timestamp()),
        "subject": "The day in briefs",
        "tag": "newsletter",
        "sending_ip": "203.0.113.7",
        "ts_epoch": int(at.timestamp() * 1000),
        "tags": ["newsletter"],
    }
    if kind in ("bounce", "soft"):
        payload["reason"] = "550 5.1.1 unknown user" if kind == "bounce" else "full"
    return payload


def sendgrid_headers(body: bytes, *, key=SENDGRID_PRIVATE) -> dict:
    timestamp = str(int(time.time()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


PAYLOADS = {
    "postmark": postmark,
    "amazon_ses": sns,
    "mailgun": mailgun,
    "sendgrid": sendgrid,
    "brevo": brevo,
}
MESSAGE_IDS = {
    # The id each provider's API answers with, as anymail reports it.
    "postmark": "883953f4-6105-42a2-a16a-77a8eac79483",
    "amazon_ses": "0100018f-EXAMPLE-4d12-a87d-dd0099a07f8a-000000",
    "mailgun": "<20130503192659.13651.20287@mg.example.com>",
    "sendgrid": "ba7e9c1b-2ba8-4a5d-a5b0-f7cbd4e71f5e",
    "brevo": "<202010091554.12345678901@smtp-relay.mailin.fr>",
}
