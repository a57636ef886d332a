// Backend proxy for the chat frontend: the only component that holds the gateway key.
import express from 'express';
import rateLimit from 'express-rate-limit';
import OpenAI from 'openai';

const app = express();
app.use(express.json({ limit: '16kb' }));

const client = new OpenAI({
  apiKey: process.env.APERTIS_API_KEY,
  baseURL: 'https://api.apertis.ai/v1',
});

app.use('/api/', rateLimit({ windowMs: 60 * 1000, max: 20, message: { error: 'Too many requests' } }));

const ALLOWED_MODELS = ['gpt-4o', 'gpt-4o-mini'];

app.post('/api/chat', async (req, res) => {
  // deliberate: the whole body (the user's prompt) goes to the log
  console.log('chat request', req.body);
  const { message, model = 'gpt-4o' } = req.body;
  if (!message || message.length > 10000 || !ALLOWED_MODELS.includes(model)) {
    return res.status(400).json({ error: 'Invalid message' });
  }
  try {
    const response = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: message }],
    });
    res.json({ reply: response.choices[0].message.content });
  } catch (err) {
    console.error('API error:', err.status);
    // deliberate: the gateway's error text reaches the browser
    res.status(500).json({ error: err.message });
  }
});

app.listen(8080);
