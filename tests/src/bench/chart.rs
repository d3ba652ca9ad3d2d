//! The benchmark's picture: an SVG chart of requests per second, one panel per workload
//! (each with its own scale, since Q4's ceiling is eighty times Q1's), in each panel one group
//! of bars per data set size: our server, the database's ceiling and the peer (Q1).
//! Written by hand: a few dozen elements do not need a plotting crate.

use std::fmt::Write as _;

use super::{SizeReport, workload::Workload};

/// Panels per row.
const COLUMNS: usize = 3;
const PANEL_W: f64 = 300.0;
const PANEL_H: f64 = 280.0;
/// The plot area inside a panel: left of it the axis labels, above it the panel's title,
/// below it the group labels.
const PLOT_LEFT: f64 = 48.0;
const PLOT_RIGHT: f64 = 12.0;
const PLOT_TOP: f64 = 40.0;
const PLOT_H: f64 = 170.0;
/// Above the panels: the title and the legend.
const HEADER_H: f64 = 70.0;
const BAR_W: f64 = 30.0;
const BAR_GAP: f64 = 6.0;

/// Which bar of a group.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Series {
    Ours,
    Ceiling,
    Peer,
}

impl Series {
    fn class(self) -> &'static str {
        match self {
            Series::Ours => "ours",
            Series::Ceiling => "ceiling",
            Series::Peer => "peer",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            Series::Ours => "#2563eb",
            Series::Ceiling => "#9ca3af",
            Series::Peer => "#f59e0b",
        }
    }
}

/// The chart for `reports` as an SVG document; `subtitle` says when and where it ran.
pub fn svg(reports: &[SizeReport], subtitle: &str) -> String {
    let peer_name = reports
        .iter()
        .find_map(|r| r.peer.as_ref().map(|p| p.name.clone()));
    let rows = Workload::ALL.len().div_ceil(COLUMNS);
    let width = PANEL_W * COLUMNS as f64;
    let height = HEADER_H + PANEL_H * rows as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text x="12" y="22" font-size="15" font-weight="bold">Requests per second (higher is better), each panel on its own scale</text>"#
    );
    let _ = writeln!(
        out,
        r##"<text x="12" y="40" fill="#4b5563">{}</text>"##,
        escape(subtitle)
    );
    let mut legend = vec![
        (Series::Ours, "this server".to_owned()),
        (
            Series::Ceiling,
            "PostgreSQL ceiling (pgbench on the same SQL)".to_owned(),
        ),
    ];
    if let Some(name) = &peer_name {
        legend.push((Series::Peer, format!("{name} (Q1 only)")));
    }
    let mut x = 12.0;
    for (series, label) in &legend {
        let _ = writeln!(
            out,
            r#"<rect class="legend {}" x="{x}" y="50" width="12" height="12" fill="{}"/><text x="{}" y="60">{}</text>"#,
            series.class(),
            series.colour(),
            x + 16.0,
            escape(label)
        );
        // About 6 px per character at this size.
        x += 16.0 + label.chars().count() as f64 * 6.2 + 20.0;
    }
    for (index, workload) in Workload::ALL.into_iter().enumerate() {
        let left = PANEL_W * (index % COLUMNS) as f64;
        let top = HEADER_H + PANEL_H * (index / COLUMNS) as f64;
        panel(&mut out, reports, workload, left, top);
    }
    out.push_str("</svg>\n");
    out
}

/// One size's bars in a panel: users, the bars, and our share of the ceiling.
type Group = (u32, Vec<(Series, f64)>, Option<f64>);

/// One workload's panel with its top-left corner at (`left`, `top`).
fn panel(out: &mut String, reports: &[SizeReport], workload: Workload, left: f64, top: f64) {
    let groups: Vec<Group> = reports
        .iter()
        .filter_map(|report| {
            let w = report.workloads.iter().find(|w| w.workload == workload)?;
            let mut bars = vec![(Series::Ours, w.load.rps)];
            if let Some(ceiling) = w.ceiling {
                bars.push((Series::Ceiling, ceiling.tps));
            }
            if workload == Workload::Q1Nested
                && let Some(peer) = &report.peer
            {
                bars.push((Series::Peer, peer.load.rps));
            }
            Some((report.users, bars, w.ratio()))
        })
        .collect();
    let largest = groups
        .iter()
        .flat_map(|(_, bars, _)| bars.iter().map(|&(_, v)| v))
        .fold(0.0_f64, f64::max);
    let (tick, ticks) = scale(largest);
    let axis_max = tick * f64::from(ticks);
    let plot_w = PANEL_W - PLOT_LEFT - PLOT_RIGHT;
    let (x0, y0) = (left + PLOT_LEFT, top + PLOT_TOP);
    let _ = writeln!(
        out,
        r#"<g class="panel" data-workload="{}" data-max="{axis_max}">"#,
        escape(workload.name())
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" font-size="13" font-weight="bold">{}</text>"#,
        x0,
        top + 22.0,
        escape(workload.name())
    );
    for step in 0..=ticks {
        let value = tick * f64::from(step);
        let y = y0 + PLOT_H - PLOT_H * f64::from(step) / f64::from(ticks);
        let _ = writeln!(
            out,
            r##"<line x1="{x0}" y1="{y}" x2="{}" y2="{y}" stroke="#e5e7eb"/><text x="{}" y="{}" text-anchor="end" fill="#4b5563">{}</text>"##,
            x0 + plot_w,
            x0 - 6.0,
            y + 4.0,
            compact(value)
        );
    }
    let group_w = plot_w / groups.len().max(1) as f64;
    for (g, (users, bars, ratio)) in groups.iter().enumerate() {
        let centre = x0 + group_w * (g as f64 + 0.5);
        let span = bars.len() as f64 * BAR_W + (bars.len() as f64 - 1.0) * BAR_GAP;
        for (b, &(series, value)) in bars.iter().enumerate() {
            let x = centre - span / 2.0 + b as f64 * (BAR_W + BAR_GAP);
            let h = if axis_max > 0.0 {
                PLOT_H * value.max(0.0) / axis_max
            } else {
                0.0
            };
            let y = y0 + PLOT_H - h;
            let _ = writeln!(
                out,
                r#"<rect class="bar {}" data-value="{value:.0}" x="{x:.1}" y="{y:.1}" width="{BAR_W}" height="{h:.1}" fill="{}"><title>{}, N = {}: {} {value:.0}/s</title></rect>"#,
                series.class(),
                series.colour(),
                escape(workload.name()),
                thousands(*users),
                match series {
                    Series::Ours => "this server",
                    Series::Ceiling => "ceiling",
                    Series::Peer => "peer",
                },
            );
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"#,
                x + BAR_W / 2.0,
                y - 4.0,
                compact(value)
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{centre:.1}" y="{}" text-anchor="middle">N = {}</text>"#,
            y0 + PLOT_H + 16.0,
            thousands(*users)
        );
        if let Some(ratio) = ratio {
            let _ = writeln!(
                out,
                r##"<text x="{centre:.1}" y="{}" text-anchor="middle" fill="#4b5563">{:.0} % of ceiling</text>"##,
                y0 + PLOT_H + 31.0,
                ratio * 100.0
            );
        }
    }
    let _ = writeln!(
        out,
        r##"<line x1="{x0}" y1="{}" x2="{}" y2="{}" stroke="#374151"/>"##,
        y0 + PLOT_H,
        x0 + plot_w,
        y0 + PLOT_H
    );
    out.push_str("</g>\n");
}

/// The axis for values up to `largest`: a tick of 1, 2 or 5 × 10ⁿ and 3 to 6 ticks, the
/// tightest such axis that holds `largest`.
fn scale(largest: f64) -> (f64, u32) {
    if largest.is_nan() || largest <= 0.0 {
        return (1.0, 4);
    }
    // Whole powers of ten, so that ticks of hundreds and more are exact.
    let magnitude = largest.log10().floor() as i32;
    let mut best = (10_f64.powi(magnitude + 1), 1);
    for exponent in [magnitude - 2, magnitude - 1, magnitude] {
        for m in [1.0, 2.0, 5.0] {
            let tick = m * 10_f64.powi(exponent);
            let ticks = (largest / tick).ceil().max(1.0);
            if (3.0..=6.0).contains(&ticks) && tick * ticks < best.0 * f64::from(best.1) {
                best = (tick, ticks as u32);
            }
        }
    }
    best
}

/// `139`, `2403`, `11.8k`: short enough to stand above a bar.
fn compact(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{:.1}k", value / 1000.0)
    } else {
        format!("{value:.0}")
    }
}

/// `20,000`.
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text as XML character data or attribute value.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use api::seed::bench::BenchCounts;

    use super::*;
    use crate::bench::{
        WorkloadReport, peer::PeerReport, pgbench::CeilingOutcome, wrk::LoadOutcome,
    };

    fn size(users: u32, scale: f64, peer: Option<&str>) -> SizeReport {
        let workloads = Workload::ALL
            .into_iter()
            .enumerate()
            .map(|(i, workload)| WorkloadReport {
                workload,
                load: LoadOutcome {
                    requests: 1_000,
                    rps: scale * (139.0 + 500.0 * i as f64),
                    ..LoadOutcome::default()
                },
                rss_mib: 50.0,
                statements: (4, 4),
                ceiling: workload.is_read().then_some(CeilingOutcome {
                    tps: scale * (407.0 + 3_000.0 * i as f64),
                    latency_ms: 1.0,
                }),
            })
            .collect();
        SizeReport {
            users,
            counts: BenchCounts {
                users: u64::from(users) + 1,
                todos: u64::from(users) * 25,
                tags: 100,
                links: 0,
            },
            seed_secs: 1.0,
            workloads,
            peer: peer.map(|name| PeerReport {
                name: name.to_owned(),
                node: "v20".to_owned(),
                load: LoadOutcome {
                    rps: 73.0 * scale,
                    ..LoadOutcome::default()
                },
                rss_mib: 250.0,
            }),
        }
    }

    /// Checks that every element is closed in order and returns the element names seen.
    fn elements(svg: &str) -> Vec<String> {
        let mut stack: Vec<String> = Vec::new();
        let mut seen = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            assert!(!text.contains('<') && !text.contains('>'), "stray markup");
            // Every `&` in text starts an entity.
            for (i, _) in text.match_indices('&') {
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;"]
                        .iter()
                        .any(|e| text[i..].starts_with(e)),
                    "bare & in {text:?}"
                );
            }
            let end = rest[start..].find('>').expect("an unclosed tag") + start;
            let tag = &rest[start + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else {
                let name = tag.split_whitespace().next().unwrap_or_default().to_owned();
                assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
                seen.push(name.clone());
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        seen
    }

    /// `name="value"` of the tag that starts at the beginning of `tag`.
    fn attribute(tag: &str, name: &str) -> f64 {
        let key = format!(" {name}=\"");
        let start = tag.find(&key).expect("the attribute") + key.len();
        let end = tag[start..].find('"').expect("its end") + start;
        tag[start..end].parse().expect("a number")
    }

    #[test]
    fn one_bar_per_figure_with_its_label_and_a_legend() {
        let reports = [
            size(2_000, 1.0, Some("PostGraphile 5.1.5 & co")),
            size(20_000, 1.3, Some("PostGraphile 5.1.5 & co")),
        ];
        let svg = svg(&reports, "Run 2026-12-07 on <2> cores");
        let names = elements(&svg);
        assert_eq!(names.first().map(String::as_str), Some("svg"));
        assert_eq!(names.iter().filter(|n| *n == "svg").count(), 1);

        // Per size: five of ours, four ceilings (M1 has none), one peer (Q1).
        let bars: Vec<&str> = svg
            .match_indices("<rect class=\"bar ")
            .map(|(i, _)| &svg[i..])
            .collect();
        assert_eq!(bars.len(), 2 * (5 + 4 + 1));
        assert_eq!(svg.matches("<rect class=\"bar peer\"").count(), 2);
        assert_eq!(svg.matches("<rect class=\"bar ceiling\"").count(), 8);
        for report in &reports {
            for w in &report.workloads {
                let label = format!(">{}</text>", compact(w.load.rps));
                assert!(svg.contains(&label), "no label {label}");
            }
        }
        assert!(
            svg.contains(">12.2k</text>"),
            "Q4's ceiling at N = 20,000, compact"
        );
        assert!(svg.contains("N = 20,000"));
        assert!(svg.contains("34 % of ceiling"), "Q1's ratio at N = 2,000");
        assert!(svg.contains("PostGraphile 5.1.5 &amp; co (Q1 only)"));
        assert!(svg.contains("on &lt;2&gt; cores"));
        for workload in Workload::ALL {
            assert!(svg.contains(&format!(">{}</text>", workload.name())));
        }

        // Within a panel, heights are in proportion to the values, and the tallest fits.
        for panel in svg.split("<g class=\"panel\"").skip(1) {
            let max = attribute(panel, "data-max");
            for bar in panel
                .match_indices("<rect class=\"bar ")
                .map(|(i, _)| &panel[i..])
            {
                let (value, height) = (attribute(bar, "data-value"), attribute(bar, "height"));
                assert!(height <= PLOT_H + 0.05, "a bar above the plot");
                assert!(
                    (height - PLOT_H * value / max).abs() < 0.6,
                    "height {height} for {value} of {max}"
                );
            }
        }
    }

    #[test]
    fn without_a_peer_there_is_no_peer_bar_nor_legend() {
        let svg = svg(&[size(200, 1.0, None)], "smoke");
        elements(&svg);
        assert_eq!(svg.matches("<rect class=\"bar ").count(), 5 + 4);
        assert!(!svg.contains("class=\"legend peer\""));
        assert!(!svg.contains("class=\"bar peer\""));
    }

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(scale(139.0), (50.0, 3));
        assert_eq!(scale(186.0), (50.0, 4));
        assert_eq!(scale(407.0), (100.0, 5));
        assert_eq!(scale(2_128.0), (500.0, 5));
        assert_eq!(scale(11_827.0), (2_000.0, 6));
        assert_eq!(scale(1_000.0), (200.0, 5));
        assert_eq!(scale(0.0), (1.0, 4));
        assert_eq!(thousands(2_000), "2,000");
        assert_eq!(thousands(200), "200");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
