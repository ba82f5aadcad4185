"""Zalo building blocks: HTTP clients, webhook checks and event parsing, free of bot logic.

Two Zalo products can carry crewbot: the Official Account Open API (v3, OAuth tokens that
rotate, webhooks signed with the OA secret key) and the Zalo Bot Platform (one bot token,
long polling or a webhook with a shared secret). The modules here speak each one's wire
format and nothing more, so the channel that turns their events into `Incoming` (and the
outbox that delivers replies) can be written and tested against plain Python values:

- `errors`: one exception type per way a call can fail, with `retryable`;
- `oa_client`: `OAClient` (send, uploads, token refresh, OAuth code exchange,
  profile);
- `bot_client`: `BotClient` (getUpdates, webhooks, sendMessage...);
- `signature`: the OA webhook MAC, the Bot Platform secret header, timestamp freshness;
- `events`: webhook / poll bodies -> `ZaloEvent`, or `MalformedEvent`.
"""
