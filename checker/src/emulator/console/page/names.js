// Names for connections: the one a client asked for with `?name=` (the
// page's own clients send it too), else a nickname made from the id, the
// same for that connection every time it is shown.

const ADJECTIVES = ["amber", "brave", "calm", "dusty", "eager", "fuzzy", "gentle", "happy", "icy", "jolly", "keen", "lucky",
  "mellow", "nimble", "olive", "plucky", "quiet", "rapid", "sunny", "tidy", "urban", "vivid", "witty", "young",
  "zesty", "bold", "crisp", "daring", "fancy", "grand", "humble", "lively"];
const ANIMALS = ["otter", "falcon", "badger", "heron", "lynx", "marten", "panda", "quokka", "raven", "stoat", "tapir", "walrus",
  "yak", "zebra", "bison", "crane", "dingo", "egret", "ferret", "gecko", "ibis", "koala", "lemur", "moose",
  "newt", "ocelot", "puffin", "robin", "seal", "toucan", "viper", "wombat"];
const MAX_NAME = 40;

// The name in a handshake's query string, if it has one.
export function nameFromQuery(query) {
  const name = new URLSearchParams(query || "").get("name");
  return name && name.trim() ? name.trim().slice(0, MAX_NAME) : null;
}

// A short nickname for a connection id: adjective-animal, from its hash.
export function nickname(connectionId) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    hash ^= connectionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${ADJECTIVES[hash % ADJECTIVES.length]}-${ANIMALS[(hash >>> 8) % ANIMALS.length]}`;
}
