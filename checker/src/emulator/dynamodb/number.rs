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
        Number::checked(if negative { -1 } else { 1 }, digits, exponent)
    }

    pub(crate) fn significant_digits(&self) -> usize {
        self.digits.len().max(1)
    }

    /// A count, as `size()` gives it.
    pub(crate) fn count(count: usize) -> Number {
        let text = count.to_string();
        Number::parse(&text).unwrap_or(Number {
            sign: 0,
            digits: Vec::new(),
            exponent: 0,
        })
    }

    /// DynamoDB's limits on a normalised number (nonzero digits).
    fn checked(sign: i8, digits: Vec<u8>, exponent: i64) -> Result<Number, DynamoError> {
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
            sign,
            digits,
            exponent,
        })
    }

    /// `self + other` (`SET n = n + :one`), exactly; the sum must fit DynamoDB's limits.
    pub(crate) fn add(&self, other: &Number) -> Result<Number, DynamoError> {
        if self.sign == 0 {
            return Ok(other.clone());
        }
        if other.sign == 0 {
            return Ok(self.clone());
        }
        // Both as integers times 10^low, low the smaller of their last digits' places.
        let place = |n: &Number| n.exponent - n.digits.len() as i64;
        let low = place(self).min(place(other));
        let aligned = |n: &Number| {
            let mut digits = n.digits.clone();
            digits.resize(digits.len() + (place(n) - low) as usize, 0);
            digits
        };
        let (a, b) = (aligned(self), aligned(other));
        let (sign, magnitude) = if self.sign == other.sign {
            (self.sign, add_magnitudes(&a, &b))
        } else {
            match compare_magnitudes(&a, &b) {
                Ordering::Equal => return Ok(Number::count(0)),
                Ordering::Greater => (self.sign, subtract_magnitudes(&a, &b)),
                Ordering::Less => (other.sign, subtract_magnitudes(&b, &a)),
            }
        };
        let leading = magnitude.iter().take_while(|&&digit| digit == 0).count();
        let mut digits = magnitude[leading..].to_vec();
        let exponent = digits.len() as i64 + low;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        Number::checked(sign, digits, exponent)
    }

    pub(crate) fn negated(&self) -> Number {
        Number {
            sign: -self.sign,
            ..self.clone()
        }
    }

    /// The number as DynamoDB writes a computed one: plain decimal, no exponent.
    pub(crate) fn to_text(&self) -> String {
        if self.sign == 0 {
            return "0".to_owned();
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let length = digits.len() as i64;
        let body = if self.exponent <= 0 {
            format!("0.{}{digits}", "0".repeat((-self.exponent) as usize))
        } else if self.exponent >= length {
            format!("{digits}{}", "0".repeat((self.exponent - length) as usize))
        } else {
            let (whole, fraction) = digits.split_at(self.exponent as usize);
            format!("{whole}.{fraction}")
        };
        if self.sign < 0 {
            format!("-{body}")
        } else {
            body
        }
    }
}

/// Digits most significant first, of equal length.
fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let length = a.len().max(b.len());
    let pad = |digits: &[u8]| {
        let mut padded = vec![0; length - digits.len()];
        padded.extend_from_slice(digits);
        padded
    };
    let (a, b) = (pad(a), pad(b));
    let mut sum = vec![0; length + 1];
    let mut carry = 0;
    for index in (0..length).rev() {
        let total = a[index] + b[index] + carry;
        sum[index + 1] = total % 10;
        carry = total / 10;
    }
    sum[0] = carry;
    sum
}

/// `a - b` for `a >= b`.
fn subtract_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut padded = vec![0; a.len() - b.len()];
    padded.extend_from_slice(b);
    let mut difference = vec![0; a.len()];
    let mut borrow = 0;
    for index in (0..a.len()).rev() {
        let mut digit = a[index] as i8 - padded[index] as i8 - borrow;
        borrow = 0;
        if digit < 0 {
            digit += 10;
            borrow = 1;
        }
        difference[index] = digit as u8;
    }
    difference
}

fn compare_magnitudes(a: &[u8], b: &[u8]) -> Ordering {
    let significant = |digits: &[u8]| digits.iter().skip_while(|&&d| d == 0).count();
    significant(a).cmp(&significant(b)).then_with(|| {
        let skip = |digits: &[u8]| {
            digits
                .iter()
                .skip_while(|&&d| d == 0)
                .copied()
                .collect::<Vec<u8>>()
        };
        skip(a).cmp(&skip(b))
    })
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
    fn adds_and_subtracts_exactly() {
        let sum = |a: &str, b: &str| n(a).add(&n(b)).expect("in range").to_text();
        assert_eq!(sum("1", "1"), "2");
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("99", "1"), "100");
        assert_eq!(sum("5", "-7.5"), "-2.5");
        assert_eq!(sum("-5", "5"), "0");
        assert_eq!(sum("1e3", "-0.001"), "999.999");
        assert_eq!(sum("0", "12"), "12");
        assert_eq!(n("12").negated().to_text(), "-12");
        assert_eq!(n("1.5e-3").to_text(), "0.0015");
        let error = n("1e100").add(&n("1")).expect_err("101 significant digits");
        assert!(error.message.contains("38 significant digits"), "{error}");
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
