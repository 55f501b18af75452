use super::*;
use crate::emulator::InvokeError;

fn frame(text: &str) -> Event {
    Event::FrameIn {
        connection_id: "c".into(),
        text: text.into(),
        request_id: "r".into(),
    }
}

fn text_of(delivery: Delivery) -> String {
    match delivery {
        Delivery::Event(stamped) => match &stamped.event {
            Event::FrameIn { text, .. } => text.clone(),
            other => panic!("unexpected {other:?}"),
        },
        Delivery::Skipped(count) => format!("skipped {count}"),
    }
}

#[test]
fn events_are_numbered_and_stamped_in_order() {
    let bus = EventBus::default();
    let mut subscription = bus.subscribe();
    bus.emit(frame("a"));
    bus.emit(frame("b"));
    let Some(Delivery::Event(first)) = subscription.try_recv_stamped() else {
        panic!("no first event");
    };
    let Some(Delivery::Event(second)) = subscription.try_recv_stamped() else {
        panic!("no second event");
    };
    assert_eq!((first.seq, second.seq), (1, 2));
    assert!(second.at >= first.at);
    let now = chrono::Utc::now().timestamp_micros();
    assert!(
        (now - first.at).abs() < 5_000_000,
        "stamped with the wall time"
    );
}

#[test]
fn a_subscriber_that_falls_behind_skips_with_a_count_and_then_resumes() {
    let bus = EventBus::default();
    let mut slow = bus.subscribe_bounded(Bound {
        events: 2,
        bytes: usize::MAX,
    });
    let mut fast = bus.subscribe();
    for text in ["1", "2", "3", "4", "5"] {
        bus.emit(frame(text));
    }
    // Room again, but the gap is told first: "6" comes after the count.
    assert_eq!(text_of(slow.try_recv_stamped().unwrap()), "1");
    bus.emit(frame("6"));
    let rest: Vec<String> = std::iter::from_fn(|| slow.try_recv_stamped())
        .map(text_of)
        .collect();
    assert_eq!(rest, ["2", "skipped 4"]);
    bus.emit(frame("7"));
    assert_eq!(text_of(slow.try_recv_stamped().unwrap()), "7");
    assert_eq!(
        std::iter::from_fn(|| fast.try_recv_stamped()).count(),
        7,
        "the other subscriber missed nothing"
    );
}

#[test]
fn the_byte_bound_applies_too() {
    let bus = EventBus::default();
    let mut subscription = bus.subscribe_bounded(Bound {
        events: 1_000,
        bytes: 1_000,
    });
    for _ in 0..10 {
        bus.emit(frame(&"x".repeat(300)));
    }
    let deliveries: Vec<String> = std::iter::from_fn(|| subscription.try_recv_stamped())
        .map(|delivery| match delivery {
            Delivery::Skipped(count) => format!("skipped {count}"),
            Delivery::Event(_) => "event".into(),
        })
        .collect();
    assert_eq!(deliveries, ["event", "event", "skipped 8"]);
}

#[test]
fn the_history_keeps_the_newest_and_counts_what_it_evicted() {
    let bus = EventBus::new(Bound {
        events: 3,
        bytes: usize::MAX,
    });
    for text in ["1", "2", "3", "4", "5"] {
        bus.emit(frame(text));
    }
    let (backlog, mut live) = bus.subscribe_with_history(Bound::SUBSCRIBER);
    let seqs: Vec<u64> = backlog.events.iter().map(|stamped| stamped.seq).collect();
    assert_eq!(seqs, [3, 4, 5]);
    assert_eq!(backlog.evicted, 2);
    bus.emit(frame("6"));
    let Some(Delivery::Event(next)) = live.try_recv_stamped() else {
        panic!("the live part continues the backlog");
    };
    assert_eq!(next.seq, 6);
    assert!(bus.find_in_history(|event| *event == frame("1")).is_none());
    assert!(bus.find_in_history(|event| *event == frame("4")).is_some());
}

#[tokio::test]
async fn a_subscription_ends_with_the_bus_after_what_was_queued() {
    let bus = EventBus::default();
    let mut subscription = bus.subscribe();
    bus.emit(frame("last"));
    drop(bus);
    assert!(matches!(
        subscription.recv().await,
        Some(Event::FrameIn { .. })
    ));
    assert_eq!(subscription.recv().await, None);
}

#[tokio::test]
async fn a_waiting_subscriber_wakes_for_the_next_event() {
    let bus = Arc::new(EventBus::default());
    let mut subscription = bus.subscribe();
    let emitter = bus.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        emitter.emit(frame("late"));
    });
    let received = tokio::time::timeout(std::time::Duration::from_secs(5), subscription.recv())
        .await
        .expect("woken in time");
    assert_eq!(received, Some(frame("late")));
}

#[test]
fn events_serialize_flat_with_their_number_and_time() {
    let stamped = Stamped {
        seq: 7,
        at: 1_700_000_000_000_000,
        event: Event::InvocationFinished {
            function: "f".into(),
            request_id: "r".into(),
            outcome: Err(InvokeError::TimedOut(std::time::Duration::from_secs(2))),
        },
    };
    let json = serde_json::to_value(&stamped).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "seq": 7,
            "at": 1_700_000_000_000_000_i64,
            "type": "invocation_finished",
            "function": "f",
            "request_id": "r",
            "outcome": {"error": "Task timed out after 2.00 seconds"},
        })
    );
}

#[test]
fn a_refused_dynamodb_call_says_whose_refusal_it_is() {
    let refused = |local_limit: bool| Event::DynamoDbRefused {
        function: Some("sendMessage".to_owned()),
        call: "dynamodb:Query on chats".to_owned(),
        error: "ValidationException: Filter Expression can only contain non-primary key \
                attributes: Primary key attribute: ConnectionId"
            .to_owned(),
        advice: Some("move it to KeyConditionExpression".to_owned()),
        local_limit,
        request_id: None,
    };
    let explained = refused(false).explain().expect("explained");
    assert_eq!(
        explained,
        "sendMessage called dynamodb:Query on chats, which DynamoDB refuses: AWS answers every \
         such call with ValidationException \"Filter Expression can only contain non-primary \
         key attributes: Primary key attribute: ConnectionId\", as the checker did; move it to \
         KeyConditionExpression"
    );
    let explained = refused(true).explain().expect("explained");
    assert!(
        explained.contains("which the checker's local DynamoDB cannot run")
            && explained.contains("says nothing about your code"),
        "{explained}"
    );
    let json = serde_json::to_value(refused(false)).expect("JSON");
    assert_eq!(json["type"], "dynamodb_refused");
}
