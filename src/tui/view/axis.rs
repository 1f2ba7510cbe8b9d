//! Axis helpers shared by the log-t charts (gap, diagonal histories): whole-decade x axes and
//! round tick labels, so every chart labels its axes the same way.

/// The smallest 1, 2, 2.5 or 5 × 10ᵏ at least `x`: round axis ends (80°, not 77.71°).
pub fn nice_ceil(x: f64) -> f64 {
    let scale = 10_f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * scale)
        .find(|&v| v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * scale)
}

/// An axis label with no trailing zeros: `40`, `2.5`, `0.05`.
pub fn tick(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// The x axis end (whole decades) and the label stride so at most ~6 labels are evenly spaced.
pub fn decade_axis(last_x: f64) -> (u32, u32) {
    let decades = last_x.ceil().max(1.0) as u32;
    let stride = decades.div_ceil(5).max(1);
    (decades.div_ceil(stride) * stride, stride)
}

/// `1`, `10`, `1e2`, `1e3`, …: the tick label for 10^k.
pub fn decade_label(k: u32) -> String {
    match k {
        0 => "1".to_owned(),
        1 => "10".to_owned(),
        _ => format!("1e{k}"),
    }
}
