/**
 * Lua scripts, so that each write (the record and every index entry of it) and each
 * page read is one atomic step on the server. Keys travel as arguments: theCouncil
 * targets one Redis (not Cluster), where that is allowed.
 */

/**
 * Shared by LIST and COUNT: filter arguments from ARGV[first] on, each the keys of its
 * value sets joined by newlines, and whether an id is in any set of one filter.
 */
const FILTER_GROUPS = `
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
 * Compare-and-set of one record with its index entries.
 * ARGV: record key (ending in the 36-character id), expected current JSON ('' = must not
 * exist), new JSON ('' = delete), TTL in ms ('0' = none), the expiry index, the record's
 * index-entry list key, then groups of (op, key, member) with op zadd | zrem | sadd | srem.
 * Returns 1 when applied, 0 when the record was not as expected (the caller re-reads and retries).
 */
export const APPLY = `
local current = redis.call('GET', ARGV[1])
if ARGV[2] == '' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
local adds = {}
for i = 7, #ARGV, 3 do
  local op, key, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if op == 'zadd' then redis.call('ZADD', key, 0, member); adds[#adds + 1] = {op, key, member}
  elseif op == 'zrem' then redis.call('ZREM', key, member)
  elseif op == 'sadd' then redis.call('SADD', key, member); adds[#adds + 1] = {op, key, member}
  else redis.call('SREM', key, member) end
end
local id = string.sub(ARGV[1], #ARGV[1] - 35)
if ARGV[3] == '' then
  redis.call('DEL', ARGV[1], ARGV[6])
  redis.call('ZREM', ARGV[5], id)
elseif ARGV[4] ~= '0' then
  redis.call('SET', ARGV[1], ARGV[3], 'PX', ARGV[4])
  -- Remember when it expires and which index entries it has, so a sweep can remove them.
  local now = redis.call('TIME')
  redis.call('ZADD', ARGV[5], now[1] * 1000 + math.floor(now[2] / 1000) + tonumber(ARGV[4]), id)
  redis.call('SET', ARGV[6], cjson.encode(adds))
else
  redis.call('SET', ARGV[1], ARGV[3])
end
return 1
`;

/**
 * One page of a list, as record JSON strings. Every index is a sorted set whose members
 * all have score 0, so it is ordered by member bytes: \`<encoded value>\\0<id>\` for
 * values (see keys.ts), the bare id for the set of records missing the value and for
 * the id index. Ascending walks values then missing ones; descending the reverse.
 * ARGV: record key prefix, values index, missing index ('' = none), 'asc' | 'desc',
 * cursor phase ('' = first page, 'values' or 'missing'), cursor member, how many to
 * return, 'lex' (members carry a value) | 'id' (members are ids), the collection's key
 * base, then one argument per filter: the keys of its value sets joined by newlines (a
 * record matches the filter when it is in any of them: one key for eq, several for in). Expired records (their key is gone) are skipped, and the
 * index entries of records that expired are swept first.
 */
export const LIST = `${FILTER_GROUPS}
local prefix, valuesKey, missingKey, dir = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local phase, cursor, need, shape, base = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], ARGV[9]
local filters = filterGroups(10)

-- Expired records leave index entries behind; remove those of up to 1000 per page read.
local now = redis.call('TIME')
local expired = redis.call('ZRANGE', base .. 'exp', '-inf', now[1] * 1000 + math.floor(now[2] / 1000), 'BYSCORE', 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  if redis.call('EXISTS', prefix .. id) == 0 then
    local entries = redis.call('GET', base .. 'x:' .. id)
    if entries then
      for _, e in ipairs(cjson.decode(entries)) do
        if e[1] == 'zadd' then redis.call('ZREM', e[2], e[3]) else redis.call('SREM', e[2], e[3]) end
      end
    end
    redis.call('DEL', base .. 'x:' .. id)
    redis.call('ZREM', base .. 'exp', id)
  end
end
local out = {}
local CHUNK = 256

local function idOf(member)
  if shape == 'id' then return member end
  local at = #member
  while at > 0 and string.byte(member, at) ~= 0 do at = at - 1 end
  return string.sub(member, at + 1)
end

local function take(id)
  for _, group in ipairs(filters) do
    if not inGroup(group, id) then return false end
  end
  local record = redis.call('GET', prefix .. id)
  if record then out[#out + 1] = record end
  return #out >= need
end

-- Walks key from just after 'from' (nil: from the start) in direction dir; true once enough.
-- Each chunk starts after the last member of the one before, so a walk costs O(log N) per chunk.
local function walk(key, from, ids)
  if key == '' then return false end
  local rev = dir == 'desc'
  local start = from and ('(' .. from) or (rev and '+' or '-')
  local stop = rev and '-' or '+'
  while true do
    local members
    if rev then
      members = redis.call('ZRANGE', key, start, stop, 'BYLEX', 'REV', 'LIMIT', 0, CHUNK)
    else
      members = redis.call('ZRANGE', key, start, stop, 'BYLEX', 'LIMIT', 0, CHUNK)
    end
    for _, member in ipairs(members) do
      if take(ids and member or idOf(member)) then return true end
    end
    if #members < CHUNK then return false end
    start = '(' .. members[#members]
  end
end

local function values(from) return walk(valuesKey, from, false) end
local function missing(from) return walk(missingKey, from, true) end

if dir == 'asc' then
  if phase == 'missing' then missing(cursor)
  elseif not values(phase == 'values' and cursor or nil) then missing(nil) end
else
  if phase == 'values' then values(cursor)
  elseif not missing(phase == 'missing' and cursor or nil) then values(nil) end
end
return out
`;

/**
 * How many live records match the filters. ARGV: record key prefix, the id index, the
 * expiry index, then filter groups as for LIST. Without filters it is the size of the id
 * index less the entries of records that expired and are not swept yet (O(log N)); with
 * filters it walks the first filter's sets, so it costs as many steps as they hold ids.
 */
export const COUNT = `${FILTER_GROUPS}
local prefix, idsKey, expiryKey = ARGV[1], ARGV[2], ARGV[3]
local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)
if #ARGV == 3 then
  return redis.call('ZCARD', idsKey) - redis.call('ZCOUNT', expiryKey, '-inf', nowMs)
end
local groups = filterGroups(4)
local seen, total = {}, 0
for _, key in ipairs(groups[1]) do
  for _, id in ipairs(redis.call('SMEMBERS', key)) do
    if not seen[id] then
      seen[id] = true
      local matches = redis.call('EXISTS', prefix .. id) == 1
      for g = 2, #groups do
        if not matches then break end
        matches = inGroup(groups[g], id)
      end
      if matches then total = total + 1 end
    end
  end
end
return total
`;
