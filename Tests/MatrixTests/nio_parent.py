"""A parent on a real Synapse with an independent end-to-end encrypting client (matrix-nio with libolm): creates an
encrypted direct chat with the bot as Element does, invites it, sends the invite code and books a talk by typed
numbers. Every reply of the bot must arrive encrypted and be decrypted here.

    nio_parent.py HOMESERVER BOT_USER_ID PARENT_PASSWORD INVITE_CODE

Prints one line per bot message it decrypted ("bot: <first line>") and "booked" at the end; exits 1 on any failure.
Needs matrix-nio 0.25 (the last with libolm) and python-olm in the same venv as Synapse (see .ci/run)."""

import asyncio
import sys
import tempfile
import time

from nio import AsyncClient, AsyncClientConfig, LoginResponse, MegolmEvent, RoomCreateResponse, RoomMessageText, RoomPreset, RoomSendResponse


class Parent:
    def __init__(self, homeserver, bot):
        self.bot = bot
        self.client = AsyncClient(homeserver, "@ouder:localhost", device_id="OUDERTELEFOON", store_path=tempfile.mkdtemp(),
                                  config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False))
        self.room = None
        self.received = []
        self.read = 0
        self.sent = 0

    async def sync(self):
        answer = await self.client.sync(timeout=1000)
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())
        joined = getattr(answer, "rooms", None)
        if joined is None or self.room not in joined.join:
            return
        for event in joined.join[self.room].timeline.events:
            if event.sender != self.bot:
                continue
            if isinstance(event, MegolmEvent):
                raise SystemExit(f"a message of the bot could not be decrypted (session {event.session_id})")
            if isinstance(event, RoomMessageText):
                if not event.decrypted:
                    raise SystemExit("the bot answered in plain text in an encrypted room")
                print("bot: " + event.body.split("\n")[0], flush=True)
                self.received.append(event.body)

    async def wait_for(self, matches, what, timeout=40):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index in range(self.read, len(self.received)):
                if matches(self.received[index]):
                    self.read = index + 1
                    return self.received[index]
            await self.sync()
        raise SystemExit(f"no message from the bot with {what}; got {len(self.received)} messages")

    async def say(self, text):
        answer = await self.client.room_send(self.room, "m.room.message", {"msgtype": "m.text", "body": text}, ignore_unverified_devices=True)
        if not isinstance(answer, RoomSendResponse):
            raise SystemExit(f"sending failed: {answer}")

    @staticmethod
    def number(label, body):
        for line in body.split("\n"):
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[0].endswith(".") and parts[1] == label:
                return parts[0][:-1]
        raise SystemExit(f"no choice {label}")


async def main():
    homeserver, bot, password, code = sys.argv[1:5]
    parent = Parent(homeserver, bot)
    client = parent.client
    try:
        if not isinstance(await client.login(password), LoginResponse):
            raise SystemExit("login failed")
        await parent.sync()
        created = await client.room_create(is_direct=True, invite=[bot], preset=RoomPreset.trusted_private_chat,
                                           initial_state=[{"type": "m.room.encryption", "state_key": "",
                                                           "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        if not isinstance(created, RoomCreateResponse):
            raise SystemExit(f"createRoom failed: {created}")
        parent.room = created.room_id
        # The bot joins, then its device (keys published at its start) must be known before the first message.
        deadline = time.monotonic() + 40
        while True:
            await parent.sync()
            room = client.rooms.get(parent.room)
            if room is not None and bot in room.users and room.encrypted and list(client.device_store.active_user_devices(bot)):
                break
            if time.monotonic() > deadline:
                raise SystemExit("the bot did not join, or its device keys are not there")
        await parent.say("Hallo")
        await parent.wait_for(lambda body: body.startswith("Welkom! Stuur de code"), "the request for the code")
        await parent.say("Mijn code: " + code)
        welcome = await parent.wait_for(lambda body: "Nederlands" in body, "the languages")
        await parent.say(Parent.number("Nederlands", welcome))
        menu = await parent.wait_for(lambda body: ". Gesprek plannen" in body, "the menu")
        await parent.say(Parent.number("Gesprek plannen", menu))
        for question in ["Voor welk kind", "Op welke dag", "Hoe laat"]:
            await parent.wait_for(lambda body: question in body and "\n1. " in body, question)
            await parent.say("1")
        confirmation = await parent.wait_for(lambda body: body.startswith("Gepland!"), "the confirmation")
        if "/ics/" not in confirmation:
            raise SystemExit("the confirmation has no calendar link")
        print("booked", flush=True)
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
