#pragma once
/// @file
/// `train::History`: what `Model::fit` returns, one value per epoch for each metric
/// (`loss`, `accuracy`, `val_loss`, `val_accuracy`, ...). Keras counterpart: the `History`
/// object's `history` dict. It can be written as CSV (Keras's `CSVLogger` columns: `epoch`
/// first, then the metrics in alphabetical order) and drawn as an SVG figure with one panel
/// for the loss and one for the accuracy, training against validation, as the tutorial
/// plots them with matplotlib.
///
/// ```cpp
/// birnn::train::History h = model.fit(x, y, options);
/// h.write_csv("history.csv");
/// h.write_svg("history.svg", "BiLSTM on Fashion-MNIST");
/// ```

#include "birnn/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace birnn::train {

/// Per-epoch metrics of a training run.
class History {
 public:
  /// Appends `value` to the series `name` (`"loss"`, `"val_accuracy"`, ...).
  void add(const std::string& name, double value) { series_[name].push_back(value); }

  /// The series `name`. @throws config_error when there is none.
  const std::vector<double>& operator[](const std::string& name) const {
    const auto it = series_.find(name);
    if (it == series_.end())
      throw config_error(detail::cat("birnn::train::History: metric '", name, "': expected one of ", names_string(),
                                     ", got none by that name"));
    return it->second;
  }
  bool has(const std::string& name) const { return series_.count(name) != 0; }
  /// The metric names, in alphabetical order.
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& [k, v] : series_) n.push_back(k);
    return n;
  }
  /// The number of epochs recorded (the longest series).
  std::size_t epochs() const {
    std::size_t n = 0;
    for (const auto& [k, v] : series_) n = std::max(n, v.size());
    return n;
  }

  /// CSV with a header `epoch,<metric>,...` and one row per epoch (epoch counted from 0, as
  /// Keras's `CSVLogger` writes it).
  void write_csv(std::ostream& os) const {
    os << "epoch";
    for (const auto& [k, v] : series_) os << ',' << k;
    os << '\n';
    const auto old = os.precision(std::numeric_limits<double>::max_digits10);
    for (std::size_t e = 0; e < epochs(); ++e) {
      os << e;
      for (const auto& [k, v] : series_) {
        os << ',';
        if (e < v.size()) os << v[e];
      }
      os << '\n';
    }
    os.precision(old);
  }
  /// @throws io_error when the file cannot be written.
  void write_csv(const std::string& path) const {
    std::ofstream f(path);
    if (!f) throw io_error(detail::cat("birnn::train::History: cannot write '", path, "'"));
    write_csv(f);
  }

  /// An SVG figure: the loss panel (`loss`, `val_loss`) and, when recorded, the accuracy
  /// panel (`accuracy`, `val_accuracy`), x = epoch (from 1), training solid, validation dashed.
  void write_svg(std::ostream& os, const std::string& title = "Training history") const {
    const bool acc = has("accuracy") || has("val_accuracy");
    const int panel_w = 420, panel_h = 300, panels = acc ? 2 : 1;
    const int width = panel_w * panels, height = panel_h + 40;
    os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
       << "\" viewBox=\"0 0 " << width << ' ' << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
       << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
       << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << escape(title)
       << "</text>\n";
    // Losses fall and accuracies rise: the legend goes where the curves usually are not.
    panel(os, 0, 40, panel_w, panel_h, "Loss", "loss", "val_loss", /*legend_top*/ true);
    if (acc) panel(os, panel_w, 40, panel_w, panel_h, "Accuracy", "accuracy", "val_accuracy", /*legend_top*/ false);
    os << "</svg>\n";
  }
  /// @throws io_error when the file cannot be written.
  void write_svg(const std::string& path, const std::string& title = "Training history") const {
    std::ofstream f(path);
    if (!f) throw io_error(detail::cat("birnn::train::History: cannot write '", path, "'"));
    write_svg(f, title);
  }

 private:
  std::string names_string() const {
    std::string s = "(";
    for (const auto& [k, v] : series_) s += (s.size() > 1 ? ", " : "") + k;
    return s + ")";
  }

  static std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
      }
    }
    return out;
  }

  // One panel at (x0, y0) of size (w, h): axes, ticks, the two series and a legend.
  void panel(std::ostream& os, int x0, int y0, int w, int h, const std::string& label, const std::string& train,
             const std::string& validation, bool legend_top) const {
    const double left = x0 + 55, right = x0 + w - 15, top = y0 + 25, bottom = y0 + h - 40;
    std::vector<const std::vector<double>*> series;
    for (const auto* n : {&train, &validation})
      if (has(*n)) series.push_back(&series_.at(*n));
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    std::size_t n = 1;
    for (const auto* s : series) {
      n = std::max(n, s->size());
      for (double v : *s)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
    const double pad = 0.05 * (hi - lo);
    lo -= pad;
    hi += pad;
    auto px = [&](std::size_t e) { return n == 1 ? (left + right) / 2 : left + (right - left) * e / (n - 1.0); };
    auto py = [&](double v) { return bottom - (bottom - top) * (v - lo) / (hi - lo); };
    os << std::fixed << std::setprecision(1);
    os << "<text x=\"" << (left + right) / 2 << "\" y=\"" << y0 + 14 << "\" text-anchor=\"middle\">" << label
       << "</text>\n";
    os << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left << "\" height=\""
       << bottom - top << "\" fill=\"none\" stroke=\"#444\"/>\n";
    for (int k = 0; k <= 4; ++k) {  // y ticks
      const double v = lo + (hi - lo) * k / 4.0, y = py(v);
      os << "<line x1=\"" << left - 4 << "\" y1=\"" << y << "\" x2=\"" << right << "\" y2=\"" << y
         << "\" stroke=\"#ddd\"/>\n<text x=\"" << left - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">"
         << std::setprecision(3) << v << std::setprecision(1) << "</text>\n";
    }
    const std::size_t step = std::max<std::size_t>(1, (n + 9) / 10);
    for (std::size_t e = 0; e < n; e += step)  // x ticks: epochs from 1
      os << "<text x=\"" << px(e) << "\" y=\"" << bottom + 16 << "\" text-anchor=\"middle\">" << e + 1 << "</text>\n";
    os << "<text x=\"" << (left + right) / 2 << "\" y=\"" << bottom + 32 << "\" text-anchor=\"middle\">epoch</text>\n";
    const char* colours[] = {"#1f77b4", "#ff7f0e"};
    const char* dashes[] = {"", " stroke-dasharray=\"6 4\""};
    int k = 0;
    for (const auto* n_ : {&train, &validation}) {
      if (!has(*n_)) continue;
      const auto& s = series_.at(*n_);
      os << "<polyline fill=\"none\" stroke=\"" << colours[k] << "\" stroke-width=\"2\"" << dashes[k]
         << " points=\"";
      for (std::size_t e = 0; e < s.size(); ++e)
        if (std::isfinite(s[e])) os << px(e) << ',' << py(s[e]) << ' ';
      os << "\"/>\n";
      for (std::size_t e = 0; e < s.size(); ++e)
        if (std::isfinite(s[e]))
          os << "<circle cx=\"" << px(e) << "\" cy=\"" << py(s[e]) << "\" r=\"2.5\" fill=\"" << colours[k] << "\"/>\n";
      const double ly = legend_top ? top + 14 + 16 * k : bottom - 26 + 16 * k;
      os << "<line x1=\"" << right - 110 << "\" y1=\"" << ly - 4 << "\" x2=\"" << right - 85 << "\" y2=\"" << ly - 4
         << "\" stroke=\"" << colours[k] << "\" stroke-width=\"2\"" << dashes[k] << "/>\n<text x=\"" << right - 80
         << "\" y=\"" << ly << "\">" << escape(*n_) << "</text>\n";
      ++k;
    }
    os.unsetf(std::ios::floatfield);
    os << std::setprecision(6);
  }

  std::map<std::string, std::vector<double>> series_;
};

}  // namespace birnn::train
