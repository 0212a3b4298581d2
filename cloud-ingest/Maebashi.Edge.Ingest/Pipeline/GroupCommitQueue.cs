namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// Group commit: items arriving while a group is being written wait and then go together into the next
/// group (one unit of work, one durable point); each still gets its own result, only after that group is
/// written. One writer drains the queue on a pool thread while it is not empty; the callers only await.
/// </summary>
/// <param name="writeGroup">
/// Writes a group and returns one result per item, in order. When it throws, every item of the group fails
/// with that exception.
/// </param>
/// <param name="maxGroup">Most items written as one group.</param>
internal sealed class GroupCommitQueue<TItem, TResult>(Func<TItem[], TResult[]> writeGroup, int maxGroup)
{
    private readonly Lock _lock = new();
    private readonly List<(TItem Item, TaskCompletionSource<TResult> Done)> _queue = [];
    private bool _writerActive;

    /// <summary>Queues the item for the next group; completes once its group is written.</summary>
    public Task<TResult> Enqueue(TItem item)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_lock)
        {
            _queue.Add((item, done));
            start = !_writerActive;
            _writerActive = true;
        }

        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => Drain(), null);
        }

        return done.Task;
    }

    private void Drain()
    {
        while (true)
        {
            (TItem Item, TaskCompletionSource<TResult> Done)[] group;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _writerActive = false;
                    return;
                }

                group = [.. _queue.Take(maxGroup)];
                _queue.RemoveRange(0, group.Length);
            }

            Write(group);
        }
    }

    private void Write((TItem Item, TaskCompletionSource<TResult> Done)[] group)
    {
        TResult[] results;
        try
        {
            results = writeGroup([.. group.Select(g => g.Item)]);
        }
        catch (Exception e)
        {
            foreach ((_, TaskCompletionSource<TResult> done) in group)
            {
                done.TrySetException(e);
            }

            return;
        }

        for (int i = 0; i < group.Length; i++)
        {
            group[i].Done.TrySetResult(results[i]);
        }
    }
}
