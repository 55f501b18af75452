//! DynamoDB numbers: decimal text with up to 38 significant digits, compared
//! by value (`"5"`, `"5.0"` and `"0.5E1"` are one key), never through `f64`.

use std::cmp::Ordering;

use super::error::DynamoError;

const MAX_DIGITS: usize = 38;
/// With the value read as `0.d1d2… × 10^exponent`: 9.99…E+125 has exponent 126, 1E-130 has -129.
const MAX_EXPONENT: i64 = 126;
const MIN_EXPONENT: i64 = -129;

/// A number normalised to a sign, its significant digits and where the point goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Number {
    /// -1, 0 or 1; zero has no digits.
    sign: i8,
    /// No leading or trailing zeros.
    digits: Vec<u8>,
    exponent: i64,
}

impl Number {
    pub(crate) fn parse(text: &str) -> Result<Number, DynamoError> {
        let not_a_number = || {
            DynamoError::validation(format!(
                "The parameter cannot be converted to a numeric value: {text}"
            ))
        };
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, power) = match unsigned.find(['e', 'E']) {
            Some(at) => {
                let power: i64 = unsigned[at + 1..].parse().map_err(|_| not_a_number())?;
                (&unsigned[..at], power)
            }
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
            return Err(not_a_number());
        }
        let mut digits: Vec<u8> = whole
            .bytes()
            .chain(fraction.bytes())
            .map(|b| b - b'0')
            .collect();
        let leading = digits.iter().take_while(|&&digit| digit == 0).count();
        digits.drain(..leading);
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Ok(Number {
                sign: 0,
                digits,
                exponent: 0,
            });
        }
        let whole_len = i64::try_from(whole.len()).map_err(|_| not_a_number())?;
        let leading = i64::try_from(leading).map_err(|_| not_a_number())?;
        let exponent = whole_len - leading + power;
        if digits.len() > MAX_DIGITS {
            return Err(DynamoError::validation(
                "Attempting to store more than 38 significant digits in a Number",
            ));
        }
        if exponent > MAX_EXPONENT {
            return Err(DynamoError::validation(
                "Number overflow. Attempting to store a number with magnitude larger than \
                 supported range",
            ));
        }
        if exponent < MIN_EXPONENT {
            return Err(DynamoError::validation(
                "Number underflow. Attempting to store a number with magnitude smaller than \
                 supported range",
            ));
        }
        Ok(Number {
            sign: if negative { -1 } else { 1 },
            digits,
            exponent,
        })
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let magnitude = || {
            // Digits have no trailing zeros, so comparing them as sequences
            // compares the fractions 0.d1d2…
            self.exponent
                .cmp(&other.exponent)
                .then_with(|| self.digits.cmp(&other.digits))
        };
        match self.sign.cmp(&other.sign) {
            Ordering::Equal if self.sign == 0 => Ordering::Equal,
            Ordering::Equal if self.sign < 0 => magnitude().reverse(),
            Ordering::Equal => magnitude(),
            unequal => unequal,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).expect("a number")
    }

    #[test]
    fn equal_values_are_equal_whatever_their_spelling() {
        assert_eq!(n("5"), n("5.0"));
        assert_eq!(n("5"), n("0.5E1"));
        assert_eq!(n("+5"), n("005"));
        assert_eq!(n("0"), n("-0.000"));
        assert_eq!(n("1200"), n("1.2e3"));
    }

    #[test]
    fn order_is_numeric() {
        let sorted = [
            "-100", "-9.5", "-1", "0", "0.001", "1", "9", "10", "10.5", "1e3",
        ];
        for pair in sorted.windows(2) {
            assert!(n(pair[0]) < n(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        for bad in ["", "abc", "1.2.3", "1e", "--1", "0x10", " 1"] {
            let error = Number::parse(bad).expect_err(bad);
            assert!(
                error.message.contains("cannot be converted"),
                "{bad}: {error}"
            );
        }
        let many = "1".repeat(39);
        assert!(Number::parse(&many).is_err());
        assert!(Number::parse("1e126").is_err());
        assert!(Number::parse("9.9e125").is_ok());
        assert!(Number::parse("1e-131").is_err());
        assert!(Number::parse("1e-130").is_ok());
    }
}
