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

    public void Record(ClaimsPrincipal user, string method, string route, int status, IReadOnlyList<string> subjects) =>
        Record(OperatorClaims.NameOf(user), OperatorClaims.ScopeOf(user), method, route, status, subjects);

    /// <summary>
    /// A line for an operator named outside a request's principal: a console sign-in (the name tried, or empty
    /// when no operator has it, since what was typed there may be anything).
    /// </summary>
    public void Record(string operatorName, string scope, string method, string route, int status, IReadOnlyList<string> subjects)
    {
        string line = JsonSerializer.Serialize(new
        {
            at = _time.GetUtcNow(),
            @operator = operatorName,
            scope,
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
