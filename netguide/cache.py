"""Django's Redis cache, reusing one redis client per process.

Django builds a new `redis.Redis` client on every cache call; each build sets up the
client's response callbacks, about a third of a cached page's cost. The client is
thread-safe (it takes connections from its pool), so the first one built for reads
and the first for writes serve every later call.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.clients = {}

    def get_client(self, key=None, *, write=False):
        client = self.clients.get(write)
        if client is None:
            client = self.clients[write] = super().get_client(key, write=write)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        # RedisCache names its client class here; there is no public setting for it.
        self._class = ReusingRedisCacheClient
