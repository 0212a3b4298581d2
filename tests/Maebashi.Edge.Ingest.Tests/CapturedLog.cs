using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>Every log line of every category and level, rendered with its state, for tests of what is never logged.</summary>
internal sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public static (ILoggerFactory Factory, CapturedLog Log) Create()
    {
        var log = new CapturedLog();
        return (LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(log)), log);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {values} {exception}");
        }
    }
}
