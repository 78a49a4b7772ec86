/** The bench's floor: a function that does nothing, bundled like ours (what a new process costs at all). */
export const handler = async () => ({ statusCode: 200, body: '{}' });
