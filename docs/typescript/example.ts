// Register this device, then read the inbox page by page and mark what was shown read.
// In the app, the token comes from expo-notifications:
//   const { data: token } = await Notifications.getExpoPushTokenAsync({ projectId });
import { PushApi, PushApiError, type Notification } from "./push-api.js";

const { PUSH_API_URL = "", ACCESS_TOKEN = "", EXPO_PUSH_TOKEN = "" } = process.env;
const api = new PushApi(PUSH_API_URL, ACCESS_TOKEN);

const saved = await api.registerDevice(EXPO_PUSH_TOKEN, "ios");
console.log(saved.created ? "device registered" : "device was known");

const shown: Notification[] = [];
let cursor: string | undefined;
do {
  const page = await api.inboxPage(cursor, 2);
  shown.push(...page.notifications);
  cursor = page.next_cursor ?? undefined;
} while (cursor);
console.log(`inbox: ${shown.map((item) => item.title).join(", ")}`);

const { unread_count } = await api.markRead(shown.map((item) => item.id));
console.log(`unread now: ${unread_count}`);

try {
  await api.registerDevice("not a token", "ios");
} catch (error) {
  if (!(error instanceof PushApiError)) throw error;
  console.log(`refused: ${error.status} ${error.message}`);
}
