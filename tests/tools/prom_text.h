// A strict parser of the Prometheus text exposition format (0.0.4), for the
// tests of /metrics: every sample must belong to a family declared by a TYPE
// line before it, names and labels must be well-formed, label values
// correctly escaped, values numbers. Parse errors are returned, not thrown.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace lh::testing {

struct PromSample {
  std::string name;                          // as written (with _bucket, _sum, ...)
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
  std::string key() const {  // name{a="x",b="y"}, labels sorted: identifies a series
    std::string k = name + "{";
    for (const auto& [n, v] : labels) k += n + "=\"" + v + "\",";
    return k + "}";
  }
};

struct PromText {
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram, ...
  std::set<std::string> helped;              // families with a HELP line
  std::vector<PromSample> samples;
  std::string error;  // empty when the text is valid

  // The value of a series (by key()), or NaN.
  double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    PromSample p{name, labels, 0};
    for (const auto& s : samples)
      if (s.key() == p.key()) return s.value;
    return std::nan("");
  }
  double sum(const std::string& name) const {
    double t = 0;
    for (const auto& s : samples)
      if (s.name == name) t += s.value;
    return t;
  }
  std::vector<const PromSample*> series(const std::string& name) const {
    std::vector<const PromSample*> out;
    for (const auto& s : samples)
      if (s.name == name) out.push_back(&s);
    return out;
  }
};

inline bool prom_name_ok(const std::string& n, bool label) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// The family a sample name belongs to, given the declared types.
inline std::string prom_family_of(const std::map<std::string, std::string>& types, const std::string& name) {
  if (types.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string fam = name.substr(0, name.size() - s.size());
      auto it = types.find(fam);
      if (it != types.end() && (it->second == "histogram" || (it->second == "summary" && s != "_bucket")))
        return fam;
    }
  }
  return "";
}

inline PromText parse_prom_text(const std::string& text) {
  PromText out;
  auto fail = [&](size_t line_no, const std::string& line, const std::string& why) {
    out.error = "line " + std::to_string(line_no) + " '" + line + "': " + why;
    return out;
  };
  if (!text.empty() && text.back() != '\n') return fail(0, "", "the text does not end with a newline");
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        std::string rest = line.substr(7);
        size_t sp = rest.find(' ');
        std::string name = rest.substr(0, sp);
        if (!prom_name_ok(name, false)) return fail(line_no, line, "bad metric name");
        if (line[2] == 'H') {
          if (!out.helped.insert(name).second) return fail(line_no, line, "second HELP for " + name);
        } else {
          std::string type = sp == std::string::npos ? "" : rest.substr(sp + 1);
          if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
              type != "untyped")
            return fail(line_no, line, "unknown type '" + type + "'");
          if (out.types.count(name)) return fail(line_no, line, "second TYPE for " + name);
          for (const auto& s : out.samples)
            if (prom_family_of({{name, type}}, s.name) == name)
              return fail(line_no, line, "TYPE after a sample of " + name);
          out.types[name] = type;
        }
      }
      continue;  // other comments are allowed
    }
    PromSample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!prom_name_ok(s.name, false)) return fail(line_no, line, "bad metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos) return fail(line_no, line, "label without '='");
        std::string lname = line.substr(i, eq - i);
        if (!prom_name_ok(lname, true)) return fail(line_no, line, "bad label name '" + lname + "'");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') return fail(line_no, line, "label value not quoted");
        ++i;
        std::string v;
        for (;;) {
          if (i >= line.size()) return fail(line_no, line, "unterminated label value");
          char c = line[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i >= line.size()) return fail(line_no, line, "dangling backslash");
            char e = line[i++];
            if (e == 'n') v += '\n';
            else if (e == '\\' || e == '"') v += e;
            else return fail(line_no, line, std::string("bad escape \\") + e);
          } else {
            v += c;
          }
        }
        if (!s.labels.emplace(lname, v).second) return fail(line_no, line, "label " + lname + " twice");
        if (i < line.size() && line[i] == ',') ++i;
        else if (i >= line.size() || line[i] != '}') return fail(line_no, line, "expected ',' or '}'");
      }
      if (i >= line.size()) return fail(line_no, line, "unterminated label set");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') return fail(line_no, line, "no value");
    std::string rest = line.substr(i + 1);
    std::string num = rest.substr(0, rest.find(' '));  // an optional timestamp may follow
    if (num == "+Inf") s.value = INFINITY;
    else if (num == "-Inf") s.value = -INFINITY;
    else if (num == "NaN") s.value = NAN;
    else {
      char* end = nullptr;
      s.value = std::strtod(num.c_str(), &end);
      if (num.empty() || *end != '\0') return fail(line_no, line, "value '" + num + "' is not a number");
    }
    std::string fam = prom_family_of(out.types, s.name);
    if (fam.empty()) return fail(line_no, line, "sample of a family without a TYPE line before it");
    for (const auto& o : out.samples)
      if (o.key() == s.key()) return fail(line_no, line, "series twice");
    out.samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace lh::testing
