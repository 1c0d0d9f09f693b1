//! Duration literals: `"250ms"`, `"1s"`, `"1.5s"`, `"2m"`, validated at compile time.

/// Parses a duration literal into nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration; write a number and a unit, like \"250ms\" or \"2s\"".into());
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("duration \"{text}\" has no unit; add one of `ns`, `us`, `ms`, `s`, `m`, `h` (e.g. \"{text}ms\")"))?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!(
            "\"{text}\" is not a duration; write a number and a unit (`ns`, `us`, `ms`, `s`, `m`, `h`), like \"250ms\" or \"2s\""
        ));
    }
    let unit = unit.trim();
    let scale: u64 = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        _ => {
            if let Some(total) = compound(text) {
                return Err(format!(
                    "a duration has one unit: write \"{}\" for \"{text}\"",
                    in_one_unit(total)
                ));
            }
            return Err(match long_unit(unit) {
                Some(short) => format!(
                    "unknown duration unit `{unit}` in \"{text}\"; write \"{number}{short}\" (units: `ns`, `us`, `ms`, `s`, `m`, `h`)"
                ),
                None => format!(
                    "unknown duration unit `{unit}` in \"{text}\"; expected one of `ns`, `us`, `ms`, `s`, `m`, `h`"
                ),
            });
        }
    };
    let (int, frac) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    if frac.contains('.') || (int.is_empty() && frac.is_empty()) {
        return Err(format!("`{number}` is not a number in duration \"{text}\""));
    }
    let int_value: u64 = if int.is_empty() {
        0
    } else {
        int.parse()
            .map_err(|_| format!("`{number}` is not a number in duration \"{text}\""))?
    };
    let mut nanos = int_value
        .checked_mul(scale)
        .ok_or_else(|| format!("duration \"{text}\" is too large"))?;
    let mut place = scale;
    for digit in frac.chars() {
        place /= 10;
        let d = u64::from(digit.to_digit(10).unwrap_or(0));
        nanos = nanos
            .checked_add(d * place)
            .ok_or_else(|| format!("duration \"{text}\" is too large"))?;
    }
    Ok(nanos)
}

/// The nanoseconds of a duration written in parts (`"1m30s"`, `"1h 15m"`), each a
/// valid duration of its own; `None` when it is not that.
fn compound(text: &str) -> Option<u64> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let unit_at = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number_ends = rest[unit_at..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(rest.len(), |i| unit_at + i);
        parts.push(&rest[..number_ends]);
        rest = rest[number_ends..].trim_start();
    }
    if parts.len() < 2 {
        return None;
    }
    parts.iter().try_fold(0u64, |sum, part| {
        sum.checked_add(parse_duration(part).ok()?)
    })
}

/// `nanos` in the largest unit that writes it whole: `"90s"`, `"75m"`, `"1500ms"`.
fn in_one_unit(nanos: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
    ];
    UNITS
        .iter()
        .find(|(scale, _)| nanos % scale == 0)
        .map_or_else(
            || format!("{nanos}ns"),
            |(scale, unit)| format!("{}{unit}", nanos / scale),
        )
}

/// The short unit for a unit spelt out (`sec`, `millis`, `minutes`) or in capitals
/// (`"5S"`), for the error's fix.
fn long_unit(unit: &str) -> Option<&'static str> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "ns" | "nsec" | "nsecs" | "nanos" | "nanosecond" | "nanoseconds" => "ns",
        "us" | "usec" | "usecs" | "micros" | "microsecond" | "microseconds" => "us",
        "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" | "ms" => "ms",
        "sec" | "secs" | "second" | "seconds" | "s" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "m",
        "hr" | "hrs" | "hour" | "hours" | "h" => "h",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn a_unit_spelt_out_gets_its_short_form() {
        assert!(parse_duration("5 sec")
            .unwrap_err()
            .contains("write \"5s\""));
        assert!(parse_duration("100millis")
            .unwrap_err()
            .contains("write \"100ms\""));
        assert!(parse_duration("2 Minutes")
            .unwrap_err()
            .contains("write \"2m\""));
        assert!(parse_duration("1hr").unwrap_err().contains("write \"1h\""));
        assert!(parse_duration("3S").unwrap_err().contains("write \"3s\""));
        assert!(parse_duration("2 parsecs")
            .unwrap_err()
            .contains("expected one of"));
    }

    #[test]
    fn a_duration_in_parts_is_said_in_one_unit() {
        let msg = |s| parse_duration(s).unwrap_err();
        assert_eq!(
            msg("1m30s"),
            "a duration has one unit: write \"90s\" for \"1m30s\""
        );
        assert!(msg("1h 15m").starts_with("a duration has one unit: write \"75m\""));
        assert!(msg("1s500ms").contains("write \"1500ms\""));
        assert!(msg("2h30m").contains("write \"150m\""));
        // Parts that are not durations are the unknown unit they were.
        assert!(
            msg("1m30x").contains("unknown duration unit"),
            "{}",
            msg("1m30x")
        );
    }

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("250ms"), Ok(250_000_000));
        assert_eq!(parse_duration("1s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("2m"), Ok(120_000_000_000));
        assert_eq!(parse_duration("10us"), Ok(10_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_duration(" 3 s "), Ok(3_000_000_000));
        assert_eq!(parse_duration(".5s"), Ok(500_000_000));
        assert_eq!(parse_duration("1min"), Ok(60_000_000_000));
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let msg = |s| parse_duration(s).unwrap_err();
        assert!(
            msg("abc").starts_with("\"abc\" is not a duration"),
            "{}",
            msg("abc")
        );
        assert!(msg("10").contains("has no unit"), "{}", msg("10"));
        assert!(msg("5 parsecs").contains("unknown duration unit `parsecs`"));
        assert!(msg("99999999999999h").contains("too large"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "abc",
            "10",
            "1.2.3s",
            "5 parsecs",
            "ms",
            "-1s",
            "99999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }
}
