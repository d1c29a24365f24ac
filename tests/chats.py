"""Chats of the simulated WhatsApp network that tests send to."""

PHONE = "+4917612345678"
PHONE_JID = "4917612345678@s.whatsapp.net"
FAMILY = "120363000000000001@g.us"
NEIGHBOURS = "120363000000000002@g.us"
NOT_ON_WHATSAPP = "+4915100000000"
