"""The domain: knowledge, chats, and (later) applications, escalations, reminders, outbox."""
