//! Where a number is: country calling codes, how long a code is, and a representative IANA time
//! zone for countries with one zone (plus area codes for the US, Canada and Australia), so a
//! contact without a time zone column is called in their own daytime.

use chrono_tz::Tz;

use crate::phone::E164;

/// ISO 3166 country → calling code, for `default_country`.
const COUNTRIES: &[(&str, &str)] = &[
    ("US", "1"),
    ("CA", "1"),
    ("GB", "44"),
    ("UK", "44"),
    ("DE", "49"),
    ("FR", "33"),
    ("AU", "61"),
    ("IE", "353"),
    ("ES", "34"),
    ("IT", "39"),
    ("NL", "31"),
    ("BE", "32"),
    ("CH", "41"),
    ("AT", "43"),
    ("DK", "45"),
    ("SE", "46"),
    ("NO", "47"),
    ("PL", "48"),
    ("PT", "351"),
    ("GR", "30"),
    ("CZ", "420"),
    ("HU", "36"),
    ("RO", "40"),
    ("FI", "358"),
    ("JP", "81"),
    ("KR", "82"),
    ("CN", "86"),
    ("IN", "91"),
    ("SG", "65"),
    ("NZ", "64"),
    ("ZA", "27"),
    ("IL", "972"),
    ("AE", "971"),
    ("TR", "90"),
    ("HK", "852"),
    ("TH", "66"),
    ("PH", "63"),
    ("NG", "234"),
    ("KE", "254"),
    ("EG", "20"),
    ("MX", "52"),
    ("BR", "55"),
    ("AR", "54"),
    ("RU", "7"),
];

/// Calling code → the zone of countries that have one (or one that nearly everyone lives in).
const ONE_ZONE: &[(&str, &str)] = &[
    ("44", "Europe/London"),
    ("49", "Europe/Berlin"),
    ("33", "Europe/Paris"),
    ("353", "Europe/Dublin"),
    ("34", "Europe/Madrid"),
    ("39", "Europe/Rome"),
    ("31", "Europe/Amsterdam"),
    ("32", "Europe/Brussels"),
    ("41", "Europe/Zurich"),
    ("43", "Europe/Vienna"),
    ("45", "Europe/Copenhagen"),
    ("46", "Europe/Stockholm"),
    ("47", "Europe/Oslo"),
    ("48", "Europe/Warsaw"),
    ("351", "Europe/Lisbon"),
    ("30", "Europe/Athens"),
    ("420", "Europe/Prague"),
    ("36", "Europe/Budapest"),
    ("40", "Europe/Bucharest"),
    ("358", "Europe/Helsinki"),
    ("81", "Asia/Tokyo"),
    ("82", "Asia/Seoul"),
    ("86", "Asia/Shanghai"),
    ("91", "Asia/Kolkata"),
    ("65", "Asia/Singapore"),
    ("64", "Pacific/Auckland"),
    ("27", "Africa/Johannesburg"),
    ("972", "Asia/Jerusalem"),
    ("971", "Asia/Dubai"),
    ("90", "Europe/Istanbul"),
    ("852", "Asia/Hong_Kong"),
    ("66", "Asia/Bangkok"),
    ("63", "Asia/Manila"),
    ("234", "Africa/Lagos"),
    ("254", "Africa/Nairobi"),
    ("20", "Africa/Cairo"),
    ("54", "America/Argentina/Buenos_Aires"),
];

/// North American area codes → zone, for the larger cities; others fall back to the default.
const NANP_AREAS: &[(&str, &str)] = &[
    ("212", "America/New_York"),
    ("646", "America/New_York"),
    ("718", "America/New_York"),
    ("917", "America/New_York"),
    ("347", "America/New_York"),
    ("202", "America/New_York"),
    ("305", "America/New_York"),
    ("404", "America/New_York"),
    ("617", "America/New_York"),
    ("215", "America/New_York"),
    ("312", "America/Chicago"),
    ("773", "America/Chicago"),
    ("214", "America/Chicago"),
    ("469", "America/Chicago"),
    ("713", "America/Chicago"),
    ("512", "America/Chicago"),
    ("612", "America/Chicago"),
    ("303", "America/Denver"),
    ("720", "America/Denver"),
    ("801", "America/Denver"),
    ("602", "America/Phoenix"),
    ("480", "America/Phoenix"),
    ("213", "America/Los_Angeles"),
    ("310", "America/Los_Angeles"),
    ("323", "America/Los_Angeles"),
    ("415", "America/Los_Angeles"),
    ("408", "America/Los_Angeles"),
    ("510", "America/Los_Angeles"),
    ("619", "America/Los_Angeles"),
    ("206", "America/Los_Angeles"),
    ("503", "America/Los_Angeles"),
    ("702", "America/Los_Angeles"),
    ("907", "America/Anchorage"),
    ("808", "Pacific/Honolulu"),
    ("416", "America/Toronto"),
    ("647", "America/Toronto"),
    ("514", "America/Toronto"),
    ("613", "America/Toronto"),
    ("604", "America/Vancouver"),
    ("778", "America/Vancouver"),
    ("403", "America/Edmonton"),
    ("780", "America/Edmonton"),
    ("204", "America/Winnipeg"),
    ("902", "America/Halifax"),
    ("709", "America/St_Johns"),
];

/// Australian geographic area codes (the digit after +61) → zone; mobiles (4) have none.
const AU_AREAS: &[(&str, &str)] = &[
    ("2", "Australia/Sydney"),
    ("3", "Australia/Melbourne"),
    ("7", "Australia/Brisbane"),
];

/// The calling code of an ISO country code such as `US` or `gb`.
pub fn calling_code_of_country(country: &str) -> Option<&'static str> {
    let country = country.trim().to_ascii_uppercase();
    COUNTRIES
        .iter()
        .find(|(iso, _)| *iso == country)
        .map(|(_, code)| *code)
}

/// How many of the leading digits of an international number are its country code, by the
/// ITU's assignment: `1` and `7` alone, the listed two-digit codes, three digits otherwise.
pub fn calling_code_length(digits: &str) -> usize {
    let two = |d: &str| -> bool {
        matches!(
            d,
            "20" | "27"
                | "30"
                | "31"
                | "32"
                | "33"
                | "34"
                | "36"
                | "39"
                | "40"
                | "41"
                | "43"
                | "44"
                | "45"
                | "46"
                | "47"
                | "48"
                | "49"
                | "51"
                | "52"
                | "53"
                | "54"
                | "55"
                | "56"
                | "57"
                | "58"
                | "60"
                | "61"
                | "62"
                | "63"
                | "64"
                | "65"
                | "66"
                | "81"
                | "82"
                | "84"
                | "86"
                | "90"
                | "91"
                | "92"
                | "93"
                | "94"
                | "95"
                | "98"
        )
    };
    match digits.as_bytes().first() {
        Some(b'1') | Some(b'7') => 1,
        _ if digits.len() >= 2 && two(&digits[..2]) => 2,
        _ => 3.min(digits.len()),
    }
}

/// The zone a number's country code or area code points to, if it points to one.
pub fn zone_of_number(number: &E164) -> Option<Tz> {
    let national = number.national();
    let name = match number.calling_code() {
        "1" => lookup(NANP_AREAS, national.get(..3)?),
        "61" => lookup(AU_AREAS, national.get(..1)?),
        code => lookup(ONE_ZONE, code),
    }?;
    name.parse().ok()
}

fn lookup(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::normalise;

    fn zone(raw: &str) -> Option<String> {
        zone_of_number(&normalise(raw, None).unwrap()).map(|z| z.name().to_string())
    }

    #[test]
    fn zones_come_from_country_and_area_codes() {
        assert_eq!(zone("+442079460018").as_deref(), Some("Europe/London"));
        assert_eq!(zone("+4930901820").as_deref(), Some("Europe/Berlin"));
        assert_eq!(zone("+12125550142").as_deref(), Some("America/New_York"));
        assert_eq!(zone("+14155550100").as_deref(), Some("America/Los_Angeles"));
        assert_eq!(zone("+61293744000").as_deref(), Some("Australia/Sydney"));
        assert_eq!(zone("+61412345678"), None);
        assert_eq!(zone("+15055550100"), None);
    }

    #[test]
    fn every_table_zone_is_in_the_iana_database() {
        for (_, name) in ONE_ZONE.iter().chain(NANP_AREAS).chain(AU_AREAS) {
            assert!(name.parse::<Tz>().is_ok(), "{name}");
        }
    }

    #[test]
    fn code_lengths_follow_the_itu_assignment() {
        assert_eq!(calling_code_length("12125550142"), 1);
        assert_eq!(calling_code_length("442079460018"), 2);
        assert_eq!(calling_code_length("35312345678"), 3);
    }
}
