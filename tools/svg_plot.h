// Hand-written inline SVG charts for `ledgerhouse report`: no script, no
// external URL, so the page works from a file:// URL in any browser. Each
// chart is an <svg class="plot" id=...> with a <title>, axes with tick
// labels, and one element per data point (class="point" circles or
// class="bar" rects) carrying its own <title> (the value as a tooltip) and a
// data-value attribute, so a test can count and read them from the DOM.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lh::tools {

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
};

struct LineChart {
  std::string id, title, y_unit;
  bool x_is_unix_time = true;  // x labels as UTC HH:MM:SS
  std::vector<PlotSeries> series;
};

struct Bar {
  std::string label;
  double value = 0;
};

struct BarChart {
  std::string id, title, value_unit;
  bool horizontal = true;  // labels on the left (long names); false: columns (dates)
  std::vector<Bar> bars;
};

std::string render_svg(const LineChart& c);
std::string render_svg(const BarChart& c);

// &, <, >, " and ' as entities.
std::string html_escape(std::string_view s);

// "1.2M", "34.5k", "12", "0.25": compact axis and tooltip numbers.
std::string compact_number(double v);

}  // namespace lh::tools
