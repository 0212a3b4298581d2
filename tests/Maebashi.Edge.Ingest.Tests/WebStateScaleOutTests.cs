using Maebashi.Edge.Ingest.Web;
using Maebashi.Edge.TestSupport;
using Page = Maebashi.Edge.Ingest.Tests.ConsoleClient.Page;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// Two ingest workers on one PostgreSQL (issue 14 item 2): what the console, the API and My Page change through worker A —
/// an operator added, an account locked, a notice posted, an enrollment code redeemed, a read audited — worker B shows
/// and enforces, without a restart.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "ScaleOut")]
public sealed class WebStateScaleOutTests(PostgresFixture postgres)
{
    private const string Locked = "アカウントがロックされています / Account locked";
    private const string NewClerk = "C02 新人";
    private const string NewClerkToken = "new-clerk-token-0123456789";

    private static readonly string Own = TestKit.Tok("04A1B2C3D4E5F6");

    private async Task<string> DatabaseAsync() => (await postgres.Server.CreateDatabaseAsync("webstate")).Uri;

    private static Task<RunningIngest> WorkerAsync(string store, string id, Action<Ingest.IngestOptions>? configure = null) =>
        RunningIngest.StartAsync(configure: o =>
        {
            o.Store = store;
            o.WorkerId = id;
            configure?.Invoke(o);
        });

    [Fact]
    public async Task An_operator_added_and_a_lock_counted_on_one_worker_hold_on_the_other()
    {
        // Worker B runs with the usual operators; worker A then starts with a file that adds a clerk.
        string store = await DatabaseAsync();
        await using RunningIngest b = await WorkerAsync(store, "worker-b");
        Assert.Equal(401, (await b.Get("/api/v1/clinics/C02/checkins?date=2026-12-05", NewClerkToken)).Status);
        string extended = Path.Combine(TestKit.TempDir(), "operators.json");
        await using RunningIngest a = await WorkerAsync(store, "worker-a", o =>
        {
            string file = File.ReadAllText(o.OperatorsPath!);
            // The same operators, and one more before the array's closing bracket.
            File.WriteAllText(extended, file.TrimEnd()[..^1].TrimEnd() + $",\n  {{\"name\": \"{NewClerk}\", \"token\": \"{NewClerkToken}\", \"scope\": \"clinic:C02\"}}\n]\n");
            o.OperatorsPath = extended;
        });
        Assert.Equal(200, (await b.Get("/api/v1/clinics/C02/checkins?date=2026-12-05", NewClerkToken)).Status);

        // Four failures on A and one on B lock the account on both.
        using var onA = new ConsoleClient(a);
        using var onB = new ConsoleClient(b);
        for (int i = 1; i < SignInThrottle.AccountFailures; i++)
        {
            Assert.Equal(401, (await onA.SignInAsync(RunningIngest.Clinic1Name, $"guess {i}")).Status);
        }

        Assert.Equal(423, (await onB.SignInAsync(RunningIngest.Clinic1Name, "guess 5")).Status);
        Page right = await onA.SignInAsync(RunningIngest.Clinic1Name, RunningIngest.ConsolePassword);
        Assert.Equal(423, right.Status);
        Assert.Contains(Locked, right.Body, StringComparison.Ordinal);

        // B's admin sees the lock A counted and ends it; A then lets the clerk in.
        using var admin = new ConsoleClient(b);
        Assert.Equal(302, (await admin.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword)).Status);
        Page operators = await admin.GetAsync("/console/operators");
        Assert.Contains("ロック中 / Locked", operators.Body, StringComparison.Ordinal);
        Assert.Contains(NewClerk, operators.Body, StringComparison.Ordinal);
        Assert.Equal(200, (await admin.PostFormAsync("/console/operators", "/console/operators?handler=Unlock", [new("name", RunningIngest.Clinic1Name)])).Status);
        Assert.Equal(302, (await onA.SignInAsync(RunningIngest.Clinic1Name, RunningIngest.ConsolePassword)).Status);

        // Both unlock and sign-ins are in the one audit log, whichever worker wrote them.
        string audit = await a.AuditTextAsync();
        Assert.Contains("\"route\":\"/console/operators/unlock\",\"status\":200,\"subjects\":[\"C01 受付\"]", audit, StringComparison.Ordinal);
        Assert.Contains("\"operator\":\"C01 受付\",\"scope\":\"clinic:C01\",\"method\":\"POST\",\"route\":\"/console/signin\",\"status\":200", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_notice_a_code_and_a_read_on_one_worker_show_on_the_others_My_Page_and_the_code_works_once()
    {
        string store = await DatabaseAsync();
        await using RunningIngest a = await WorkerAsync(store, "worker-a");
        await using RunningIngest b = await WorkerAsync(store, "worker-b");

        // A: an admin posts an urgent notice, issues a code and reads the card's status (audited).
        using var admin = new ConsoleClient(a);
        Assert.Equal(302, (await admin.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword)).Status);
        Page posted = await admin.PostFormAsync("/console/notices", "/console/notices",
            [new("kind", "urgent"), new("title", "大雪のため運休 / Buses stopped by snow"), new("body", "本日の運行を見合わせます。")]);
        Assert.Equal(200, posted.Status);
        (int issued, string body) = await a.Post($"/api/v1/cards/{Own}/enrollment", RunningIngest.AdminToken, "");
        Assert.Equal(200, issued);
        string code = TestKit.ParseJson(body).GetProperty("code").GetString()!;
        Assert.Equal(200, (await a.Get($"/api/v1/cards/{Own}/status", RunningIngest.AdminToken)).Status);

        // B: the code enrolls the citizen, whose My Page shows A's notice and A's read of their card.
        using var citizen = new ConsoleClient(b);
        Page enrolled = await citizen.PostFormAsync("/my/enroll", "/my/enroll", [new("code", code), new("login", "maebashi-taro"), new("password", "harunano-kaze-2026")]);
        Assert.Equal(302, enrolled.Status);
        Page my = await citizen.GetAsync("/my/");
        Assert.Equal(200, my.Status);
        Assert.Contains("大雪のため運休 / Buses stopped by snow", my.Body, StringComparison.Ordinal);
        Assert.Contains("/api/v1/cards/{tok}/status", my.Body, StringComparison.Ordinal);

        // A: the code is used up; the account made on B signs in on A.
        using var again = new ConsoleClient(a);
        Page second = await again.PostFormAsync("/my/enroll", "/my/enroll", [new("code", code), new("login", "someone-else"), new("password", "harunano-kaze-2026")]);
        Assert.Equal(400, second.Status);
        Assert.Equal(302, (await again.PostFormAsync("/my/signin", "/my/signin", [new("login", "maebashi-taro"), new("password", "harunano-kaze-2026")])).Status);

        // B's console lists A's notice and audit record.
        using var adminOnB = new ConsoleClient(b);
        Assert.Equal(302, (await adminOnB.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword)).Status);
        Assert.Contains("大雪のため運休", (await adminOnB.GetAsync("/console/notices")).Body, StringComparison.Ordinal);
        Assert.Contains("/api/v1/cards/{tok}/enrollment", (await adminOnB.GetAsync("/console/audit")).Body, StringComparison.Ordinal);
    }
}
