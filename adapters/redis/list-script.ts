import { FILTER_GROUPS } from './scripts.ts';

/**
 * One page of a list, as record JSON strings followed by one integer: how many index
 * entries and candidates the page examined (the store's `examined` counter).
 *
 * Every index is a sorted set whose members all have score 0, so it is ordered by member
 * bytes: `<encoded value>\0<id>` for values (see keys.ts), the bare id for the set of
 * records missing the value and for the id index. Ascending walks values then missing
 * ones; descending the reverse. Each record met is checked against the equality filters
 * (`SISMEMBER`), so a common value fills a page in a few steps; a rare one would walk the
 * whole sort range. The walk therefore has a budget: four times the size of the smallest
 * filter's sets. Past it, the script takes that filter's members instead (`SMEMBERS`),
 * checks the other filters, computes each match's sort member from its JSON exactly as
 * sort-encoding.ts does (struct.pack gives a double's IEEE 754 bits), orders them in two
 * scratch sorted sets under the collection and walks those from the cursor. A page so
 * costs O(page / selectivity) or O(smallest filter), whichever is less, never O(n).
 *
 * ARGV: record key prefix, values index, missing index ('' = none), 'asc' | 'desc',
 * cursor phase ('' = first page, 'values' or 'missing'), cursor member, how many to
 * return, 'lex' (members carry a value) | 'id' (members are ids), the collection's key
 * base, the sort field, its kind (string | integer | number | boolean | id), then one
 * argument per filter: the keys of its value sets joined by newlines (a record matches
 * the filter when it is in any of them: one key for eq, several for in). Expired records
 * (their key is gone) are skipped, and the index entries of records that expired are
 * swept first.
 */
export const LIST = `${FILTER_GROUPS}
local prefix, valuesKey, missingKey, dir = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local phase, cursor, need, shape, base = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], ARGV[9]
local field, kind = ARGV[10], ARGV[11]
local filters = filterGroups(12)

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
local examined = 0
local CHUNK = 256
-- The filter with the fewest members, and the walk's budget; none without filters.
local smallest, budget = nil, nil
for g, group in ipairs(filters) do
  local size = 0
  for _, key in ipairs(group) do size = size + redis.call('SCARD', key) end
  if budget == nil or size * 4 < budget then smallest, budget = g, size * 4 end
end
if budget == 0 then return {0} end
local over = false
-- Record texts read while collecting candidates, so a page reads each record once.
local texts = {}

local function idOf(member)
  if shape == 'id' then return member end
  local at = #member
  while at > 0 and string.byte(member, at) ~= 0 do at = at - 1 end
  return string.sub(member, at + 1)
end

local function take(id)
  examined = examined + 1
  for _, group in ipairs(filters) do
    if not inGroup(group, id) then return false end
  end
  local record = texts[id] or redis.call('GET', prefix .. id)
  if record then out[#out + 1] = record end
  return #out >= need
end

-- Walks key from just after 'from' (nil: from the start) in direction dir; true once enough
-- (or once the budget is spent: then 'over' is set). Each chunk starts after the last member
-- of the one before, so a walk costs O(log N) per chunk.
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
      if budget and examined >= budget then
        over = true
        return true
      end
    end
    if #members < CHUNK then return false end
    start = '(' .. members[#members]
  end
end

local function page()
  local function values(from) return walk(valuesKey, from, false) end
  local function missing(from) return walk(missingKey, from, true) end
  if dir == 'asc' then
    if phase == 'missing' then missing(cursor)
    elseif not values(phase == 'values' and cursor or nil) then missing(nil) end
  else
    if phase == 'values' then values(cursor)
    elseif not missing(phase == 'missing' and cursor or nil) then values(nil) end
  end
end

-- A sort value as sort-encoding.ts encodes it; nil when it is not of the field's kind.
local function encode(v)
  if kind == 'string' or kind == 'id' then
    if type(v) == 'string' then return v end
    return nil
  end
  if kind == 'boolean' then
    if type(v) == 'boolean' then return v and '1' or '0' end
    return nil
  end
  if type(v) ~= 'number' or v ~= v or v == math.huge or v == -math.huge then return nil end
  if v == 0 then v = 0 end
  local bytes = struct.pack('>d', v)
  local negative = string.byte(bytes, 1) >= 128
  local hex = {}
  for i = 1, 8 do
    local b = string.byte(bytes, i)
    if negative then b = 255 - b elseif i == 1 then b = b + 128 end
    hex[i] = string.format('%02x', b)
  end
  return table.concat(hex)
end

-- The smallest filter's members that match every filter, in two scratch sorted sets shaped
-- like the indexes; false if a record's JSON cannot be read (then the caller walks instead).
local function collect(valuesScratch, missingScratch)
  local seen = {}
  for _, key in ipairs(filters[smallest]) do
    for _, id in ipairs(redis.call('SMEMBERS', key)) do
      if not seen[id] then
        seen[id] = true
        examined = examined + 1
        local matches = true
        for g, group in ipairs(filters) do
          if g ~= smallest and not inGroup(group, id) then
            matches = false
            break
          end
        end
        local text = matches and redis.call('GET', prefix .. id)
        if text then
          texts[id] = text
          if shape == 'id' then
            redis.call('ZADD', valuesScratch, 0, id)
          else
            local ok, record = pcall(cjson.decode, text)
            if not ok then return false end
            local encoded = encode(record[field])
            if encoded then redis.call('ZADD', valuesScratch, 0, encoded .. '\\0' .. id)
            else redis.call('ZADD', missingScratch, 0, id) end
          end
        end
      end
    end
  end
  return true
end

page()
if over then
  out = {}
  over = false
  budget = nil
  local valuesScratch, missingScratch = base .. 'tmp:v', base .. 'tmp:m'
  redis.call('DEL', valuesScratch, missingScratch)
  if collect(valuesScratch, missingScratch) then
    -- Every member of the scratch sets matches: no filter to check again.
    filters = {}
    valuesKey, missingKey = valuesScratch, shape == 'id' and '' or missingScratch
  end
  page()
  redis.call('DEL', valuesScratch, missingScratch)
end
out[#out + 1] = examined
return out
`;
