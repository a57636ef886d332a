// the browser talks to our backend only; the backend holds the key
export async function ask(message) {
  try {
    return await fetch('/api/chat', { method: 'POST', body: JSON.stringify({ message }) });
  } catch (e) {
    console.error('chat failed', e.name);
  }
}
