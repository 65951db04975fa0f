"""Direct mail: letters and postcards rendered to print-ready PDF, and the print providers.

- ``formats``: page sizes, bleed and where the address goes on each;
- ``render``: a Liquid HTML template for one contact -> one PDF (``Mailer``);
- ``qr``: the QR code and the short personal URL printed on every mailer;
- ``print_house``: the folder export (one merged PDF and a CSV manifest per batch);
- ``lob``: the print-and-mail HTTP API adapter, and ``lob_webhooks`` for its status events.
"""
