"""The DNS records a sending domain publishes so its mail is trusted: SPF, DKIM, DMARC, MX.

Pure functions: ``goteo dns`` gathers the settings and prints what these return.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import idna

TXT_CHUNK = 255  # one character-string in a TXT record holds at most 255 bytes


@dataclass(frozen=True)
class DnsRecord:
    """One record to publish; ``value`` is None when it cannot be written yet."""

    purpose: str  # SPF, DKIM, DMARC or MX
    name: str
    type: str  # TXT or MX
    value: str | None
    note: str

    @property
    def strings(self) -> list[str]:
        """A TXT value as the character-strings a zone holds (255 characters at most each)."""
        if self.value is None or self.type != "TXT":
            return []
        return [self.value[i : i + TXT_CHUNK] for i in range(0, len(self.value), TXT_CHUNK)]

    def zone_line(self) -> str:
        """``name TYPE data``, as written in a zone file or typed into a DNS provider's form."""
        if self.value is None:
            return f"{self.name}  {self.type}  (not available yet)"
        data = " ".join(f'"{s}"' for s in self.strings) if self.type == "TXT" else self.value
        return f"{self.name}  {self.type}  {data}"

    def as_dict(self) -> dict[str, object]:
        return {
            "purpose": self.purpose,
            "name": self.name,
            "type": self.type,
            "value": self.value,
            "strings": self.strings,
            "note": self.note,
        }


def dns_name(domain: str) -> str:
    """A domain as it is written in DNS: lower case, IDNA for non-ASCII, no final dot."""
    name = domain.strip().rstrip(".").lower()
    if not name.isascii():
        name = idna.encode(name, uts46=True).decode("ascii")
    return name


def _is_local(host: str) -> bool:
    if host in ("", "localhost") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def spf_record(envelope_domain: str, relay_host: str = "") -> DnsRecord:
    """SPF for the envelope sender's domain (the one bounces go to): who may send for it."""
    mechanism = "mx" if _is_local(relay_host) else f"a:{dns_name(relay_host)}"
    return DnsRecord(
        "SPF",
        dns_name(envelope_domain),
        "TXT",
        f"v=spf1 {mechanism} ~all",
        "Lists the servers that hand your mail to recipients. Add your relay or provider: its"
        " include: (for example include:_spf.provider.example) or ip4:<address>. Keep a single"
        " SPF record per name: merge these mechanisms into an existing one.",
    )


_DKIM_NOTES = {
    "configured": "The public half of the key the worker signs with (GOTEO_DKIM_PRIVATE_KEY_FILE).",
    "new": "The public half of the key just made; give the worker the settings above.",
    "generated": "The public half of the key Goteo generated in GOTEO_DATA_DIR; the worker signs"
    " with it already. It is not published until you add this record to your DNS: until then"
    " receivers cannot verify the signatures.",
    "provider": "Your email provider signs what it sends with its own key: publish the DKIM"
    " record its dashboard shows instead.",
    "off": "GOTEO_DKIM=off: the worker sends unsigned.",
    "none": "No key yet: `goteo migrate` generates one when GOTEO_EMAIL_URL is smtp://, or"
    " `goteo dns --generate-key DIR` makes one to configure.",
}
_SPLIT_NOTE = (
    " Long values are split into quoted strings of at most 255 characters; publish them as one"
    " record."
)


def dkim_record(
    selector: str, domain: str, public_record: str | None, key_source: str = "configured"
) -> DnsRecord:
    """The DKIM record; ``key_source`` (configured, new, generated, provider, off, none) says
    where the key comes from, for the note."""
    if public_record is None and key_source in ("configured", "new", "generated"):
        key_source = "none"
    note = _DKIM_NOTES[key_source] + (_SPLIT_NOTE if public_record else "")
    return DnsRecord(
        "DKIM", f"{selector}._domainkey.{dns_name(domain)}", "TXT", public_record, note
    )


def dmarc_record(domain: str) -> DnsRecord:
    name = dns_name(domain)
    return DnsRecord(
        "DMARC",
        f"_dmarc.{name}",
        "TXT",
        f"v=DMARC1; p=none; rua=mailto:dmarc@{name}",
        "Start with p=none and read the aggregate reports sent to dmarc@"
        f"{name}; once SPF and DKIM pass for all your mail, move to p=quarantine, then"
        " p=reject.",
    )


def bounce_mx_record(return_path_domain: str, inbound_host: str) -> DnsRecord:
    return DnsRecord(
        "MX",
        dns_name(return_path_domain),
        "MX",
        f"10 {dns_name(inbound_host)}." if inbound_host else None,
        "Bounces and mailto unsubscribes come back to this domain: point it at the host that"
        " runs `goteo inbound` (it must accept mail on port 25).",
    )


def sending_domain_records(
    *,
    domain: str,
    selector: str,
    public_record: str | None,
    key_source: str = "configured",
    return_path_domain: str = "",
    relay_host: str = "",
    inbound_host: str = "",
) -> list[DnsRecord]:
    """Every record for ``domain``; the bounce domain's MX only when one is configured."""
    records = [
        spf_record(return_path_domain or domain, relay_host),
        dkim_record(selector, domain, public_record, key_source),
        dmarc_record(domain),
    ]
    if return_path_domain:
        records.append(bounce_mx_record(return_path_domain, inbound_host))
    return records
