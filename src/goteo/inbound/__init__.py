"""Mail that comes back: bounce reports (RFC 3464), complaint reports (ARF) and mailto
unsubscribes, received by ``goteo inbound`` at the signed ``bounces+…``/``unsubscribe+…``
addresses."""
