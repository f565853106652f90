-- wrk script: GET PREFIX..ID with ids drawn at random from IDS_FILE (one per line).
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local prefix = os.getenv("PATH_PREFIX")
math.randomseed(42)
request = function()
  return wrk.format("GET", prefix .. ids[math.random(#ids)])
end
