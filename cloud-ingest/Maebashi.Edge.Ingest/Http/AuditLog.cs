using System.Security.Claims;
using System.Text.Json;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// Every read of a person's data by an operator, one JSON line each (operator, scope, route, the card token
/// or the sector IDs read, time), appended to <c>audit.jsonl</c> under the data directory and flushed.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _lock = new();
    private readonly StreamWriter _writer;
    private readonly TimeProvider _time;

    public AuditLog(string path, TimeProvider time)
    {
        Path = path;
        _time = time;
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public string Path { get; }

    public void Record(ClaimsPrincipal user, string method, string route, int status, IReadOnlyList<string> subjects)
    {
        string line = JsonSerializer.Serialize(new
        {
            at = _time.GetUtcNow(),
            @operator = OperatorClaims.NameOf(user),
            scope = OperatorClaims.ScopeOf(user),
            method,
            route,
            status,
            subjects,
        }, Json);
        lock (_lock)
        {
            _writer.WriteLine(line);
        }
    }

    public void Dispose() => _writer.Dispose();
}
