const key = 'sk-ant-api03-Vb6Nm2Qw8Er4Ty0Ui6Op2As8Df4Gh0Jk6Lz';

export async function ask(message) {
  return fetch('https://api.apertis.ai/v1/chat/completions', {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${key}` },
    body: JSON.stringify({ messages: [{ role: 'user', content: message }] }),
  });
}
