"""mongoeco, a MongoDB-wire server in Python, as a stand-in MongoDB for CI.

Usage: python mongoeco_server.py PORT

Serves an in-memory MongoDB on 127.0.0.1:PORT until killed (needs
mongoeco 4.11 and pymongo, Python >= 3.13). No MongoDB server package is
reachable from this project's CI machine; `cargo xtask mongoeco` starts
this when PORTCULLIS_TEST_MONGODB_URL is unset.

Where mongoeco 4.11 answers differently from MongoDB, a patch below
restores MongoDB's behaviour; each names what MongoDB does. The backend
is never bent to the stand-in: a failure that is not one of these is a
finding about portcullis-mongodb.
"""

import asyncio
import sys

from mongoeco.core import bson_scalars
from mongoeco.core import update_scalar_operators
from mongoeco.wire import AsyncMongoEcoProxyServer
from mongoeco.wire import executor as wire_executor

BsonInt32 = bson_scalars.BsonInt32
BsonInt64 = bson_scalars.BsonInt64

# 1. MongoDB takes any integral number for `limit`, `skip`, `batchSize`
#    and a getMore's cursor id; mongoeco refuses an Int64 (the Rust driver
#    sends `limit` and cursor ids as Int64). Unwrapped before validation.
_INTEGER_FIELDS = ("limit", "skip", "batchSize", "ntoreturn", "getMore")


def _plain_integers(body):
    if isinstance(body, dict):
        for field in _INTEGER_FIELDS:
            value = body.get(field)
            if isinstance(value, (BsonInt32, BsonInt64)):
                body[field] = value.value
    return body


# 2. MongoDB's cursor ids are Int64 (the driver refuses an Int32 one);
#    mongoeco sends small ids as Int32.
def _long_cursor_id(result):
    cursor = result.get("cursor") if isinstance(result, dict) else None
    if isinstance(cursor, dict):
        cid = cursor.get("id")
        if isinstance(cid, int) and not isinstance(cid, bool):
            cursor["id"] = BsonInt64(cid)
    return result


# 3. Every MongoDB error reply has a numeric `code` (and `codeName`);
#    some of mongoeco's have only `errmsg`. 8 is MongoDB's UnknownError,
#    59 its CommandNotFound.
def _with_code(document):
    if isinstance(document, dict) and document.get("ok") == 0 and "code" not in document:
        unknown_command = "unsupported wire command" in str(document.get("errmsg", ""))
        document["code"] = 59 if unknown_command else 8
        document["codeName"] = "CommandNotFound" if unknown_command else "UnknownError"
    return document


Executor = wire_executor.WireCommandExecutor
_build_context = Executor._build_request_context
_execute_prepared = Executor.execute_prepared
_error_document = Executor.error_document


def _build_request_context(self, body, *args, **kwargs):
    return _build_context(self, _plain_integers(body), *args, **kwargs)


async def _execute(self, context):
    return _with_code(_long_cursor_id(await _execute_prepared(self, context)))


Executor._build_request_context = _build_request_context
Executor.execute_prepared = _execute
Executor.error_document = staticmethod(lambda exc: _with_code(_error_document(exc)))

# 4. In MongoDB, `$inc` of an Int32 and an Int64 gives an Int64 (the wider
#    type); mongoeco narrows a small result to Int32, so a counter stored
#    as Int64 turns into an Int32 after its first increment.
_bson_add = update_scalar_operators.bson_add


def _add_keeping_long(left, right):
    result = _bson_add(left, right)
    if isinstance(left, BsonInt64) or isinstance(right, BsonInt64):
        if isinstance(result, BsonInt32):
            return BsonInt64(result.value)
        if isinstance(result, int) and not isinstance(result, bool):
            return BsonInt64(result)
    return result


update_scalar_operators.bson_add = _add_keeping_long


async def main(port: int) -> None:
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=port)
    address = await server.start()
    print(f"mongoeco listening on {address.uri}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
