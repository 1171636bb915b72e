// Inline SVG charts (svg_plot.h).
#include "tools/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace lh::tools {
namespace {

constexpr double kWidth = 720, kHeight = 300;
constexpr double kLeft = 70, kRight = 40, kTop = 36, kBottom = 40;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string time_label(double unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// A "nice" upper bound for an axis starting at 0.
double nice_max(double v) {
  if (v <= 0 || !std::isfinite(v)) return 1;
  double p = std::pow(10, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

std::string open_svg(const std::string& id, const std::string& title, double height, size_t points) {
  return fmt::format(
      "<svg class=\"plot\" id=\"{}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" data-points=\"{}\">\n<title>{}</title>\n"
      "<text class=\"plot-title\" x=\"{}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
      html_escape(id), kWidth, height, kWidth, height, points, html_escape(title), kLeft, html_escape(title));
}

std::string no_data(double x, double y) {
  return fmt::format("<text class=\"no-data\" x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#777\">no data</text>\n", x, y);
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string compact_number(double v) {
  double a = std::fabs(v);
  if (a >= 1e9) return fmt::format("{:.3g}G", v / 1e9);
  if (a >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.3g}k", v / 1e3);
  if (a == std::floor(a)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

std::string render_svg(const LineChart& c) {
  size_t points = 0;
  double x0 = INFINITY, x1 = -INFINITY, ymax = 0;
  for (const auto& s : c.series)
    for (const auto& [x, y] : s.points) {
      ++points;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      ymax = std::max(ymax, y);
    }
  std::string out = open_svg(c.id, c.title, kHeight, points);
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  if (points == 0) return out + no_data(kLeft, kTop + ph / 2) + "</svg>\n";
  if (x1 <= x0) x1 = x0 + 1;
  ymax = nice_max(ymax);
  auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return kTop + ph - y / ymax * ph; };
  // Axes, grid and ticks.
  out += fmt::format("<g class=\"axes\" stroke=\"#999\" stroke-width=\"1\"><line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" "
                     "y2=\"{2}\"/><line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\"/></g>\n",
                     kLeft, kTop, kTop + ph, kLeft + pw);
  for (int i = 0; i <= 4; ++i) {
    double y = ymax * i / 4;
    out += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
                       "<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                       kLeft, py(y), kLeft + pw, py(y), kLeft - 6, py(y) + 4, compact_number(y));
    double x = x0 + (x1 - x0) * i / 4;
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n", px(x),
                       kTop + ph + 16, c.x_is_unix_time ? time_label(x) : compact_number(x));
  }
  out += fmt::format("<text x=\"12\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 12 {})\" "
                     "text-anchor=\"middle\">{}</text>\n",
                     kTop + ph / 2, kTop + ph / 2, html_escape(c.y_unit));
  if (c.x_is_unix_time)
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">time (UTC)</text>\n",
                       kLeft + pw / 2, kHeight - 6);
  // Series: a polyline, a circle per point with its value as a tooltip, a legend entry.
  for (size_t si = 0; si < c.series.size(); ++si) {
    const auto& s = c.series[si];
    const char* color = kColors[si % std::size(kColors)];
    std::string pts;
    for (const auto& [x, y] : s.points) pts += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
    out += fmt::format("<g class=\"series\" data-series=\"{}\"><polyline fill=\"none\" stroke=\"{}\" "
                       "stroke-width=\"1.5\" points=\"{}\"/>\n",
                       html_escape(s.name), color, pts);
    for (const auto& [x, y] : s.points)
      out += fmt::format("<circle class=\"point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\" "
                         "data-value=\"{}\"><title>{} {}: {} {}</title></circle>\n",
                         px(x), py(y), color, y, html_escape(s.name),
                         c.x_is_unix_time ? time_label(x) : compact_number(x), compact_number(y),
                         html_escape(c.y_unit));
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" "
                       "font-size=\"12\">{}</text></g>\n",
                       kLeft + pw - 250, 10 + 14 * si, color, kLeft + pw - 235, 19 + 14 * si, html_escape(s.name));
  }
  return out + "</svg>\n";
}

std::string render_svg(const BarChart& c) {
  const size_t n = c.bars.size();
  double vmax = 0;
  for (const auto& b : c.bars) vmax = std::max(vmax, b.value);
  vmax = nice_max(vmax);
  if (c.horizontal) {
    const double left = 190, row = 22;
    double height = kTop + std::max<size_t>(n, 1) * row + 20;
    std::string out = open_svg(c.id, c.title, height, n);
    if (n == 0) return out + no_data(left, kTop + 14) + "</svg>\n";
    const double pw = kWidth - left - 90;
    for (size_t i = 0; i < n; ++i) {
      const Bar& b = c.bars[i];
      double y = kTop + i * row, w = b.value / vmax * pw;
      out += fmt::format(
          "<text x=\"{}\" y=\"{:.1f}\" font-size=\"12\" text-anchor=\"end\">{}</text>"
          "<rect class=\"bar\" x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" data-value=\"{}\">"
          "<title>{}: {} {}</title></rect><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>\n",
          left - 6, y + 14, html_escape(b.label), left, y + 3, std::max(w, 1.0), row - 6, kColors[0], b.value,
          html_escape(b.label), compact_number(b.value), html_escape(c.value_unit), left + std::max(w, 1.0) + 4,
          y + 14, compact_number(b.value));
    }
    return out + "</svg>\n";
  }
  std::string out = open_svg(c.id, c.title, kHeight, n);
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  if (n == 0) return out + no_data(kLeft, kTop + ph / 2) + "</svg>\n";
  for (int i = 0; i <= 4; ++i) {
    double v = vmax * i / 4, y = kTop + ph - ph * i / 4;
    out += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
                       "<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                       kLeft, y, kLeft + pw, y, kLeft - 6, y + 4, compact_number(v));
  }
  const double slot = pw / n, bw = std::max(1.0, slot * 0.8);
  const size_t label_every = std::max<size_t>(1, n / 8);
  for (size_t i = 0; i < n; ++i) {
    const Bar& b = c.bars[i];
    double h = b.value / vmax * ph, x = kLeft + i * slot + (slot - bw) / 2;
    out += fmt::format("<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                       "fill=\"{}\" data-value=\"{}\"><title>{}: {} {}</title></rect>\n",
                       x, kTop + ph - h, bw, std::max(h, 0.5), kColors[0], b.value, html_escape(b.label),
                       compact_number(b.value), html_escape(c.value_unit));
    if (i % label_every == 0)
      out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n",
                         x + bw / 2, kTop + ph + 14, html_escape(b.label));
  }
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#999\"/>\n", kLeft, kTop + ph,
                     kLeft + pw);
  return out + "</svg>\n";
}

}  // namespace lh::tools
