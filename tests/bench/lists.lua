-- wrk script: filtered, sorted lists of 20, cycling through every topic and two sorts.
local topics = {"school-improvement", "co-operative-education", "governance", "leadership", "curriculum",
  "assessment", "inclusion", "send", "attendance", "behaviour", "reading", "mathematics", "early-years",
  "professional-development", "parents", "student-voice", "wellbeing", "research", "partnerships",
  "trusts", "ofsted", "equity"}
local sorts = {"-published_at", "title"}
local paths = {}
for _, t in ipairs(topics) do
  for _, s in ipairs(sorts) do
    paths[#paths + 1] = "/api/v1/content/practice_article?filter[topics][eq]=" .. t .. "&sort=" .. s .. "&limit=20"
  end
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
