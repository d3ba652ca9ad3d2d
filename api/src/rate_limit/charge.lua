-- One charge against a token bucket, atomic: Redis runs a script alone.
-- KEYS[1]: the bucket, a hash of `tokens` (left) and `at` (when, in microseconds of Redis's
-- clock, so that the instances' clocks do not matter).
-- ARGV: the bucket's capacity, its refill in points per second, the points wanted (at most
-- the capacity).
-- Replies 0 when the points were taken, or else the milliseconds until they would be (and
-- then takes nothing).
local capacity = tonumber(ARGV[1])
local per_sec = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1])
local at = tonumber(bucket[2])
if tokens == nil or at == nil then
  -- No key is a full bucket: keys expire once their bucket would be full again.
  tokens = capacity
elseif now > at then
  tokens = math.min(capacity, tokens + (now - at) / 1000000 * per_sec)
else
  tokens = math.min(capacity, tokens)
end
if tokens + 1e-9 < wanted then
  return math.ceil((wanted - tokens) / per_sec * 1000)
end
tokens = tokens - wanted
local full_in = math.ceil((capacity - tokens) / per_sec * 1000)
if full_in < 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
-- Written in full: Lua's own number-to-text keeps 14 digits, and a time in microseconds has 16.
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], full_in)
return 0
