//! JUnit XML: one test case per exercise, for CI systems and graders that read it.

use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, Event};

use super::plain_reason;
use crate::grade::{Graded, Verdict};

pub fn junit_xml(results: &[Graded]) -> Result<String, quick_xml::Error> {
    let failures = results
        .iter()
        .filter(|graded| matches!(graded.verdict, Verdict::Failed(_)))
        .count();
    let errors = results
        .iter()
        .filter(|graded| {
            matches!(
                graded.verdict,
                Verdict::BuildFailed { .. } | Verdict::Broken { .. }
            )
        })
        .count();
    let seconds: f64 = results
        .iter()
        .map(|graded| graded.duration.as_secs_f64())
        .sum();
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let counts = [
        ("tests", results.len().to_string()),
        ("failures", failures.to_string()),
        ("errors", errors.to_string()),
        ("time", format!("{seconds:.3}")),
    ];
    let mut suites = BytesStart::new("testsuites");
    suites.extend_attributes(counts.iter().map(|(k, v)| (*k, v.as_str())));
    writer.write_event(Event::Start(suites))?;
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", "workshop"));
    suite.extend_attributes(counts.iter().map(|(k, v)| (*k, v.as_str())));
    writer.write_event(Event::Start(suite))?;
    for graded in results {
        let mut case = BytesStart::new("testcase");
        let time = format!("{:.3}", graded.duration.as_secs_f64());
        case.push_attribute(("name", graded.exercise.name.as_str()));
        case.push_attribute(("classname", "exercises"));
        case.push_attribute(("time", time.as_str()));
        let Some(reason) = plain_reason(graded) else {
            writer.write_event(Event::Empty(case))?;
            continue;
        };
        writer.write_event(Event::Start(case))?;
        let (element, summary) = match &graded.verdict {
            Verdict::Failed(failure) => ("failure", format!("step failed: {}", failure.step)),
            Verdict::BuildFailed { .. } => ("error", "the Lambdas do not compile".to_owned()),
            _ => ("error", "the exercise cannot run".to_owned()),
        };
        let mut outcome = BytesStart::new(element);
        outcome.push_attribute(("message", summary.as_str()));
        writer.write_event(Event::Start(outcome))?;
        // A CDATA section cannot contain `]]>`; split it where it occurs.
        for (index, piece) in reason.split("]]>").enumerate() {
            if index > 0 {
                writer.write_event(Event::CData(BytesCData::new("]]")))?;
                writer.write_event(Event::CData(BytesCData::new(">")))?;
            }
            writer.write_event(Event::CData(BytesCData::new(piece)))?;
        }
        writer.write_event(Event::End(BytesEnd::new(element)))?;
        writer.write_event(Event::End(BytesEnd::new("testcase")))?;
    }
    writer.write_event(Event::End(BytesEnd::new("testsuite")))?;
    writer.write_event(Event::End(BytesEnd::new("testsuites")))?;
    Ok(String::from_utf8_lossy(&writer.into_inner()).into_owned())
}
