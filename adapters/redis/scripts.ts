/**
 * Lua scripts, so that each write (the record and every index entry of it) and each
 * page read is one atomic step on the server. Keys travel as arguments: theCouncil
 * targets one Redis (not Cluster), where that is allowed.
 */

/**
 * Shared by LIST and COUNT: filter arguments from ARGV[first] on, each the keys of its
 * value sets joined by newlines, and whether an id is in any set of one filter.
 */
export const FILTER_GROUPS = `
local function filterGroups(first)
  local groups = {}
  for i = first, #ARGV do
    local group = {}
    for key in string.gmatch(ARGV[i], '[^\\n]+') do group[#group + 1] = key end
    groups[#groups + 1] = group
  end
  return groups
end

local function inGroup(group, id)
  for _, key in ipairs(group) do
    if redis.call('SISMEMBER', key, id) == 1 then return true end
  end
  return false
end
`;

/**
 * Writes one record and its index entries, shared by APPLY and WRITE_ALL: the record key
 * (ending in the 36-character id), its index-entry list key, the new JSON ('' = delete),
 * the TTL in ms ('0' = none), the expiry index, then ARGV[first..last] as groups of
 * (op, key, member) with op zadd | zrem | sadd | srem.
 */
const WRITE_RECORD = `
local function writeRecord(key, entriesKey, json, ttl, expiryKey, first, last)
  local adds = {}
  for i = first, last, 3 do
    local op, index, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    if op == 'zadd' then redis.call('ZADD', index, 0, member); adds[#adds + 1] = {op, index, member}
    elseif op == 'zrem' then redis.call('ZREM', index, member)
    elseif op == 'sadd' then redis.call('SADD', index, member); adds[#adds + 1] = {op, index, member}
    else redis.call('SREM', index, member) end
  end
  local id = string.sub(key, #key - 35)
  if json == '' then
    redis.call('DEL', key, entriesKey)
    redis.call('ZREM', expiryKey, id)
  elseif ttl ~= '0' then
    redis.call('SET', key, json, 'PX', ttl)
    -- Remember when it expires and which index entries it has, so a sweep can remove them.
    local now = redis.call('TIME')
    redis.call('ZADD', expiryKey, now[1] * 1000 + math.floor(now[2] / 1000) + tonumber(ttl), id)
    redis.call('SET', entriesKey, cjson.encode(adds))
  else
    redis.call('SET', key, json)
  end
end

local function unchanged(key, expected)
  local current = redis.call('GET', key)
  if expected == '' then return not current end
  return current == expected
end
`;

/**
 * Compare-and-set of one record with its index entries.
 * ARGV: record key (ending in the 36-character id), expected current JSON ('' = must not
 * exist), new JSON ('' = delete), TTL in ms ('0' = none), the expiry index, the record's
 * index-entry list key, then groups of (op, key, member) with op zadd | zrem | sadd | srem.
 * Returns 1 when applied, 0 when the record was not as expected (the caller re-reads and retries).
 */
export const APPLY = `${WRITE_RECORD}
if not unchanged(ARGV[1], ARGV[2]) then return 0 end
writeRecord(ARGV[1], ARGV[6], ARGV[3], ARGV[4], ARGV[5], 7, #ARGV)
return 1
`;

/**
 * Compare-and-set of several records at once (a batch, all or none): every record is
 * checked first, and only if each is still what the writer read is any written.
 * ARGV: TTL in ms ('0' = none), the expiry index, then per record: its key, its
 * index-entry list key, expected current JSON ('' = must not exist), new JSON ('' =
 * delete), the number of index operations, then those operations as for APPLY.
 * (`unpack` takes at most a few thousand values, hence the chunks of 1,000 keys.)
 * Returns 1 when applied, 0 when a record was not as expected (nothing written).
 */
export const WRITE_ALL = `${WRITE_RECORD}
local ttl, expiryKey = ARGV[1], ARGV[2]
local records = {}
local at = 3
while at <= #ARGV do
  local last = at + 4 + tonumber(ARGV[at + 4]) * 3
  records[#records + 1] = {at, last}
  at = last + 1
end
-- Records that must not exist yet (creates) are checked in one EXISTS, the others one by one.
local fresh = {}
for _, record in ipairs(records) do
  local i = record[1]
  if ARGV[i + 2] == '' then fresh[#fresh + 1] = ARGV[i]
  elseif not unchanged(ARGV[i], ARGV[i + 2]) then return 0 end
end
for first = 1, #fresh, 1000 do
  if redis.call('EXISTS', unpack(fresh, first, math.min(first + 999, #fresh))) > 0 then return 0 end
end
for _, record in ipairs(records) do
  local i = record[1]
  writeRecord(ARGV[i], ARGV[i + 1], ARGV[i + 3], ttl, expiryKey, i + 5, record[2])
end
return 1
`;

/**
 * How many live records match the filters. ARGV: record key prefix, the id index, the
 * expiry index, then filter groups as for LIST. Without filters it is the size of the id
 * index less the entries of records that expired and are not swept yet (O(log N)); with
 * filters it walks the sets of the filter with the fewest members, so it costs as many
 * steps as they hold ids.
 */
export const COUNT = `${FILTER_GROUPS}
local prefix, idsKey, expiryKey = ARGV[1], ARGV[2], ARGV[3]
local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)
if #ARGV == 3 then
  return redis.call('ZCARD', idsKey) - redis.call('ZCOUNT', expiryKey, '-inf', nowMs)
end
local groups = filterGroups(4)
local smallest, fewest = 1, nil
for g, group in ipairs(groups) do
  local size = 0
  for _, key in ipairs(group) do size = size + redis.call('SCARD', key) end
  if fewest == nil or size < fewest then smallest, fewest = g, size end
end
local seen, total = {}, 0
for _, key in ipairs(groups[smallest]) do
  for _, id in ipairs(redis.call('SMEMBERS', key)) do
    if not seen[id] then
      seen[id] = true
      local matches = redis.call('EXISTS', prefix .. id) == 1
      for g = 1, #groups do
        if not matches then break end
        if g ~= smallest then matches = inGroup(groups[g], id) end
      end
      if matches then total = total + 1 end
    end
  end
end
return total
`;
