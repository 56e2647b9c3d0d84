//! SVG line charts for the sandbox and the benchmark, drawn with
//! `plotters` (SVG backend, no system fonts: text is left to the viewer).
//! One figure stacks one or more panels over a shared time axis; each
//! panel has round ticks, a legend, and a y axis that never goes below
//! zero for series that never do (open interest, a fund balance).

use plotters::prelude::*;

/// One line: `(x, y)` points, x in the figure's time unit.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series { name: name.into(), points }
    }

    /// The points a chart can draw (NaN and infinities left out).
    fn finite_points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite())
    }

    /// One value per step, `step` apart on the x axis.
    pub fn stepped(name: impl Into<String>, step: f64, values: &[f64]) -> Series {
        let points = values.iter().enumerate().map(|(i, v)| (i as f64 * step, *v)).collect();
        Series::new(name, points)
    }
}

pub struct Panel {
    pub title: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

impl Panel {
    pub fn new(title: impl Into<String>, y_label: impl Into<String>, series: Vec<Series>) -> Panel {
        Panel { title: title.into(), y_label: y_label.into(), series }
    }
}

/// A time axis: how a run's seconds are shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    pub label: &'static str,
    /// Seconds per unit.
    pub secs: f64,
}

impl TimeAxis {
    /// Minutes for runs under three hours, hours up to three days, days
    /// beyond: ticks stay round and few.
    pub fn for_span(span_secs: f64) -> TimeAxis {
        if span_secs < 3.0 * 3_600.0 {
            TimeAxis { label: "minutes", secs: 60.0 }
        } else if span_secs <= 3.0 * 86_400.0 {
            TimeAxis { label: "hours", secs: 3_600.0 }
        } else {
            TimeAxis { label: "days", secs: 86_400.0 }
        }
    }
}

/// Palette with enough contrast on white, one colour per series in order.
const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

const WIDTH: u32 = 960;
const PANEL_HEIGHT: u32 = 380;

/// Renders `panels` stacked, sharing `x_label`, as an SVG document.
pub fn render(x_label: &str, panels: &[Panel]) -> Result<String, String> {
    let mut svg = String::new();
    let height = PANEL_HEIGHT * panels.len().max(1) as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let areas = root.split_evenly((panels.len().max(1), 1));
        for (area, panel) in areas.iter().zip(panels) {
            draw_panel(area, x_label, panel)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn draw_panel(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    x_label: &str,
    panel: &Panel,
) -> Result<(), String> {
    let points = || panel.series.iter().flat_map(Series::finite_points);
    let (x_lo, x_hi) = match extent(points().map(|p| p.0)) {
        Some((lo, hi)) if lo < hi => (lo, hi),
        // One point in time: half a unit either side.
        Some((lo, hi)) => (lo - 0.5, hi + 0.5),
        None => (0.0, 1.0),
    };
    let (y_lo, y_hi) = span(points().map(|p| p.1), true);
    let (x_ticks, y_ticks) = (tick_format(x_lo, x_hi), tick_format(y_lo, y_hi));
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(38)
        .y_label_area_size(72)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(6)
        .x_desc(x_label)
        .y_desc(panel.y_label.as_str())
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, series) in panel.series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(series.finite_points(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(series.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(190, 190, 190))
        .draw()
        .map_err(|e| e.to_string())
}

/// The range the y axis shows: the data with 5% on each side (a flat or
/// empty series gets a unit around it), never below zero when no value
/// is (`clamp_at_zero`).
fn span(values: impl Iterator<Item = f64>, clamp_at_zero: bool) -> (f64, f64) {
    let Some((lo, hi)) = extent(values) else {
        return (0.0, 1.0);
    };
    let pad =
        if hi - lo > f64::EPSILON * hi.abs().max(1.0) { (hi - lo) * 0.05 } else { hi.abs().max(1.0) * 0.05 };
    let padded_lo = if clamp_at_zero && lo >= 0.0 { (lo - pad).max(0.0) } else { lo - pad };
    (padded_lo, hi + pad)
}

/// The smallest and largest of `values`; `None` when there are none.
fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |range, v| Some(range.map_or((v, v), |(lo, hi): (f64, f64)| (lo.min(v), hi.max(v)))))
}

/// Tick labels for an axis from `lo` to `hi`: thousands and millions
/// shortened (27.9k, 1.25M), and as many decimals as the tick spacing
/// needs (149.5 and 150.5 do not both read 150).
pub fn tick_format(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let largest = lo.abs().max(hi.abs());
    let (scale, suffix) = if largest >= 1_000_000.0 {
        (1_000_000.0, "M")
    } else if largest >= 10_000.0 {
        (1_000.0, "k")
    } else {
        (1.0, "")
    };
    // Plotters puts about six ticks on the axis, at round steps.
    let step = ((hi - lo) / 6.0 / scale).abs();
    let decimals =
        if step > 0.0 && step.is_finite() { (-step.log10().floor()).clamp(0.0, 6.0) as usize } else { 0 };
    move |v: &f64| {
        let text = format!("{:.*}", decimals, v / scale);
        let text = if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            format!("{:.*}", decimals, 0.0)
        } else {
            text
        };
        text + suffix
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_figure_has_one_line_per_series_and_its_labels() {
        let panels = [
            Panel::new(
                "SOL-PERP: mark vs oracle",
                "price (USDC)",
                vec![
                    Series::stepped("oracle", 0.5, &[150.0, 151.0, 149.0]),
                    Series::stepped("mark", 0.5, &[150.0, 150.5, 149.5]),
                ],
            ),
            Panel::new("Open interest", "USDC", vec![Series::stepped("SOL-PERP", 0.5, &[0.0, 2e6, 3e6])]),
        ];
        let svg = render("hours", &panels).unwrap();
        assert!(svg.starts_with("<svg"));
        let lines = svg.matches("<polyline").count();
        assert!(lines > 6, "axes and ticks are polylines too");
        assert_eq!(
            svg.matches(r#"stroke-width="2" points"#).count(),
            3 + 3,
            "three lines, three legend marks"
        );
        for text in ["SOL-PERP: mark vs oracle", "Open interest", "oracle", "mark", "hours", "price (USDC)"] {
            assert!(has_text(&svg, text), "{text} missing");
        }
    }

    /// Whether `svg` has a text element reading exactly `text` (a legend
    /// entry, not a word of a title).
    pub(crate) fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">\n{text}\n</text>"))
    }

    #[test]
    fn an_axis_of_non_negative_values_starts_at_zero_at_the_lowest() {
        assert_eq!(span([0.0, 100.0].into_iter(), true), (0.0, 105.0));
        assert_eq!(span([50.0, 100.0].into_iter(), true), (47.5, 102.5));
        assert_eq!(span([-10.0, 10.0].into_iter(), true), (-11.0, 11.0));
        assert_eq!(span([0.0, 100.0].into_iter(), false), (-5.0, 105.0));
        assert_eq!(span(std::iter::empty(), true), (0.0, 1.0));
        let (lo, hi) = span([150.0, 150.0].into_iter(), true);
        assert!(lo < 150.0 && hi > 150.0);
    }

    #[test]
    fn ticks_read_short_and_tell_neighbours_apart() {
        let prices = tick_format(148.9, 151.1);
        assert_eq!([149.5, 150.0, 150.5].map(|v| prices(&v)), ["149.5", "150.0", "150.5"]);
        let fund = tick_format(24_000.0, 28_000.0);
        assert_eq!([25_000.0, 27_943.79].map(|v| fund(&v)), ["25.0k", "27.9k"]);
        let open_interest = tick_format(0.0, 3_150_000.0);
        assert_eq!([0.0, 1_000_000.0, 2_500_000.0].map(|v| open_interest(&v)), ["0.0M", "1.0M", "2.5M"]);
        let wide = tick_format(0.0, 600.0);
        assert_eq!([0.0, 100.0, -0.0].map(|v| wide(&v)), ["0", "100", "0"]);
        let fine = tick_format(-0.001, 0.001);
        assert_eq!(fine(&-0.0000001), "0.0000");
    }

    #[test]
    fn the_time_axis_follows_the_span() {
        assert_eq!(TimeAxis::for_span(1_800.0).label, "minutes");
        assert_eq!(TimeAxis::for_span(86_400.0).label, "hours");
        assert_eq!(TimeAxis::for_span(30.0 * 86_400.0).label, "days");
    }
}
