using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Web;
using Maebashi.Edge.Ingest.Web.MyPage;
using Maebashi.Edge.Ingest.Web.Notices;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// The web's shared state (IConsoleStateStore): the audit log, operators and their sign-in failures, citizen accounts and
// enrollment codes, notices — what any worker's console and My Page read.
public abstract partial class StoreConformanceTests
{
    private static AuditRecord Read(DateTimeOffset at, string op, string route, params string[] subjects) => new(at, op, "admin", "GET", route, 200, subjects);

    [Fact]
    public async Task The_audit_log_pages_newest_first_to_its_start_by_operator_and_by_person_and_survives_a_restart()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        for (int i = 1; i <= 7; i++)
        {
            kit.Store.AppendAudit(Read(Nov(30, 9, i), i % 2 == 0 ? "交通 係" : "城 管理者", $"/r{i}", i <= 3 ? ["TOK-A"] : ["TOK-B", "S-B"]));
        }

        kit = Reopen(kit);
        AuditPage first = kit.Store.AuditPage(null, 3, null);
        Assert.Equal(["/r7", "/r6", "/r5"], first.Entries.Select(e => e.Route));
        Assert.Equal(["TOK-B", "S-B"], first.Entries[0].Subjects);
        Assert.Equal(Nov(30, 9, 7), first.Entries[0].At);
        AuditPage second = kit.Store.AuditPage(first.Older, 3, null);
        Assert.Equal(["/r4", "/r3", "/r2"], second.Entries.Select(e => e.Route));
        AuditPage last = kit.Store.AuditPage(second.Older, 3, null);
        Assert.Equal(["/r1"], last.Entries.Select(e => e.Route));
        Assert.Null(last.Older);

        AuditPage transport = kit.Store.AuditPage(null, 2, "交通 係");
        Assert.Equal(["/r6", "/r4"], transport.Entries.Select(e => e.Route));
        Assert.Equal(["/r2"], kit.Store.AuditPage(transport.Older, 2, "交通 係").Entries.Select(e => e.Route));
        Assert.Empty(kit.Store.AuditPage(null, 2, "nobody").Entries);

        Assert.Equal(["/r3", "/r2", "/r1"], kit.Store.AuditAbout(["TOK-A"], 10).Select(e => e.Route));
        Assert.Equal(["/r7", "/r6"], kit.Store.AuditAbout(["S-B", "TOK-B", "TOK-A"], 2).Select(e => e.Route));
        Assert.Empty(kit.Store.AuditAbout(["TOK-C"], 10));
    }

    [Fact]
    public async Task An_accounts_failures_lock_it_on_the_store_an_admin_unlocks_it_and_a_new_operators_file_forgets_only_removed_operators()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        Operator clerk = new("clerk", null, "clinic:C01", "$pbkdf2-sha256$i=1$c2FsdA$aGFzaA");
        Operator gone = new("gone", "gone-token-0123456789", "transport");
        kit.Store.ReplaceOperators([clerk, gone]);
        var operators = new SignInThrottle(kit.Time, kit.Store, SignInRealm.Operator);
        var citizens = new SignInThrottle(kit.Time, kit.Store, SignInRealm.Citizen);
        for (int i = 1; i <= SignInThrottle.AccountFailures; i++)
        {
            Assert.Equal(i == SignInThrottle.AccountFailures, operators.RecordFailure("clerk", $"10.0.0.{i}"));
            operators.RecordFailure("gone", "10.0.1.1");
        }

        kit = Reopen(kit);
        operators = new SignInThrottle(kit.Time, kit.Store, SignInRealm.Operator);
        citizens = new SignInThrottle(kit.Time, kit.Store, SignInRealm.Citizen);
        Assert.Equal(SignInRefusal.AccountLocked, operators.Check("clerk", "10.9.9.9"));
        Assert.Equal(SignInRefusal.None, citizens.Check("clerk", "10.9.9.9"));
        Assert.Equal(["clerk", "gone"], operators.Locked().Keys.Order(StringComparer.Ordinal));

        kit.Store.ReplaceOperators([clerk, new Operator("new", "new-token-0123456789", "welfare")]);
        Assert.Equal(["clerk", "new"], kit.Store.Operators().Select(o => o.Name).Order(StringComparer.Ordinal));
        Assert.Equal(clerk, kit.Store.Operators().Single(o => o.Name == "clerk"));
        Assert.Equal(["clerk"], operators.Locked().Keys);

        Assert.True(operators.Unlock("clerk"));
        Assert.False(operators.Unlock("clerk"));
        Assert.Equal(SignInRefusal.None, operators.Check("clerk", "10.9.9.9"));
        Assert.Null(kit.Store.SignInFailuresOf(SignInRealm.Operator, "clerk"));
    }

    [Fact]
    public async Task Failures_counted_at_once_all_count()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        IIngestStore[] workers = [kit.Store, .. OtherWorkers(kit, 1)];
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            workers[i % workers.Length].ChangeSignInFailures(SignInRealm.Citizen, "taro", f =>
                new SignInFailures([.. (f?.Failures ?? []).Append(Nov(30, 9, 0).AddSeconds(i))], null)))));

        Assert.Equal(8, kit.Store.SignInFailuresOf(SignInRealm.Citizen, "taro")!.Failures.Count);
    }

    [Fact]
    public async Task An_enrollment_code_is_redeemed_once_a_taken_login_keeps_it_and_a_new_code_or_account_replaces_the_old()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        DateTimeOffset now = Nov(30, 9, 0);
        Func<string, string?> pidOf = tok => tok switch { "TOK1" => "P0001", "TOK2" => "P0002", _ => null };
        kit.Store.PutEnrollment(new PendingEnrollment("code-old", "TOK1", now.AddDays(14)), now);
        kit.Store.PutEnrollment(new PendingEnrollment("code-1", "TOK1", now.AddDays(14)), now);
        kit.Store.PutEnrollment(new PendingEnrollment("code-2", "TOK2", now.AddDays(14)), now);
        kit.Store.PutEnrollment(new PendingEnrollment("code-gone", "TOK9", now.AddDays(14)), now);
        Assert.Null(kit.Store.Enrollment("code-old"));

        Assert.Equal(EnrollOutcome.BadCode, kit.Store.RedeemEnrollment("code-old", "taro", "hash-1", now, pidOf));
        Assert.Equal(EnrollOutcome.BadCode, kit.Store.RedeemEnrollment("code-gone", "taro", "hash-1", now, pidOf));
        Assert.Equal(EnrollOutcome.Enrolled, kit.Store.RedeemEnrollment("code-1", "taro", "hash-1", now, pidOf));
        Assert.Equal(EnrollOutcome.BadCode, kit.Store.RedeemEnrollment("code-1", "taro2", "hash-1", now, pidOf));
        Assert.Equal(EnrollOutcome.LoginTaken, kit.Store.RedeemEnrollment("code-2", "taro", "hash-2", now, pidOf));
        Assert.NotNull(kit.Store.Enrollment("code-2"));

        kit = Reopen(kit);
        Assert.Equal(new CitizenAccount("taro", "hash-1", "P0001", now), kit.Store.Citizen("taro"));
        Assert.Equal(EnrollOutcome.BadCode, kit.Store.RedeemEnrollment("code-2", "hanako", "hash-2", now.AddDays(14), pidOf));
        Assert.Equal(EnrollOutcome.Enrolled, kit.Store.RedeemEnrollment("code-2", "hanako", "hash-2", now.AddDays(1), pidOf));

        // A new code for a person with an account: the new account replaces the old (a forgotten password).
        kit.Store.PutEnrollment(new PendingEnrollment("code-3", "TOK1", now.AddDays(16)), now.AddDays(2));
        Assert.Equal(EnrollOutcome.Enrolled, kit.Store.RedeemEnrollment("code-3", "taro-new", "hash-3", now.AddDays(2), pidOf));
        Assert.Null(kit.Store.Citizen("taro"));
        Assert.Equal("P0001", kit.Store.Citizen("taro-new")!.Pid);
        Assert.Equal("P0002", kit.Store.Citizen("hanako")!.Pid);
    }

    [Fact]
    public async Task Of_many_redeeming_one_code_at_once_exactly_one_enrolls()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        DateTimeOffset now = Nov(30, 9, 0);
        kit.Store.PutEnrollment(new PendingEnrollment("code-1", "TOK1", now.AddDays(14)), now);
        IIngestStore[] workers = [kit.Store, .. OtherWorkers(kit, 1)];

        EnrollOutcome[] outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            workers[i % workers.Length].RedeemEnrollment("code-1", $"login-{i}", "hash", now, _ => "P0001"))));

        Assert.Single(outcomes, o => o == EnrollOutcome.Enrolled);
        Assert.All(outcomes.Where(o => o != EnrollOutcome.Enrolled), o => Assert.Equal(EnrollOutcome.BadCode, o));
        Assert.Null(kit.Store.Enrollment("code-1"));
    }

    [Fact]
    public async Task Notices_are_posted_withdrawn_and_bounded_dropping_the_oldest_not_shown_first()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        CityNotice Draft(string title, DateTimeOffset at, DateTimeOffset? until = null) => new(0, NoticeKind.Normal, title, "本文", at, until, "城 管理者", null);
        CityNotice a = kit.Store.PostNotice(Draft("a", Nov(30, 9, 0), Nov(30, 10, 0)), maxKept: 3)!;
        CityNotice b = kit.Store.PostNotice(Draft("b", Nov(30, 9, 1)) with { Kind = NoticeKind.Urgent }, maxKept: 3)!;
        CityNotice c = kit.Store.PostNotice(Draft("c", Nov(30, 9, 2)), maxKept: 3)!;
        Assert.True(a.Id < b.Id && b.Id < c.Id);
        Assert.Null(kit.Store.PostNotice(Draft("d", Nov(30, 9, 3)), maxKept: 3));

        Assert.True(kit.Store.WithdrawNotice(c.Id, Nov(30, 9, 4)));
        Assert.False(kit.Store.WithdrawNotice(c.Id, Nov(30, 9, 5)));
        Assert.False(kit.Store.WithdrawNotice(c.Id + 100, Nov(30, 9, 5)));

        kit = Reopen(kit);
        Assert.Equal(["c", "b", "a"], kit.Store.Notices().Select(n => n.Title));
        Assert.Equal(Nov(30, 9, 4), kit.Store.Notices()[0].WithdrawnAt);
        Assert.Equal(b, kit.Store.Notices()[1]);

        // Full: the withdrawn c goes first, then a once it has ended; b, shown, stays.
        CityNotice e = kit.Store.PostNotice(Draft("e", Nov(30, 9, 6)), maxKept: 3)!;
        Assert.Equal(["e", "b", "a"], kit.Store.Notices().Select(n => n.Title));
        Assert.True(e.Id > c.Id);
        Assert.Null(kit.Store.PostNotice(Draft("f", Nov(30, 9, 7)), maxKept: 3));
        Assert.NotNull(kit.Store.PostNotice(Draft("f", Nov(30, 10, 0)), maxKept: 3));
        Assert.Equal(["f", "e", "b"], kit.Store.Notices().Select(n => n.Title));
    }

    [Fact]
    public async Task An_import_of_older_files_writes_its_records_and_marks_itself_done_in_one_unit()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        var import = new WebStateImport(
            [Read(Nov(1, 9, 0), "城 管理者", "/old", "TOK-A")],
            [new CitizenAccount("taro", "hash", "P0001", Nov(1, 9, 0))],
            [new PendingEnrollment("code-1", "TOK2", Nov(31, 0, 0))],
            [new CityNotice(7, NoticeKind.Urgent, "雪", "大雪", Nov(1, 9, 0), null, "城 管理者", null)]);

        Assert.True(kit.Store.ImportWebState(import, "legacy-import:test", null, "done"));

        kit = Reopen(kit);
        Assert.Equal("done", kit.Store.GetMeta("legacy-import:test"));
        Assert.Equal(["/old"], kit.Store.AuditAbout(["TOK-A"], 10).Select(e => e.Route));
        Assert.Equal("P0001", kit.Store.Citizen("taro")!.Pid);
        Assert.Equal("TOK2", kit.Store.Enrollment("code-1")!.Token);
        Assert.Equal(("雪", NoticeKind.Urgent), kit.Store.Notices().Select(n => (n.Title, n.Kind)).Single());
    }

    [Fact]
    public async Task Workers_importing_one_older_file_at_once_write_each_step_once()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));

        // Three workers started on one data directory read "not imported yet" and import the same first step together.
        IIngestStore[] workers = [kit.Store, .. OtherWorkers(kit, 2)];
        using var together = new Barrier(workers.Length);
        bool[] wrote = await Task.WhenAll(workers.Select(store => Task.Run(() =>
        {
            together.SignalAndWait();
            return store.ImportWebState(
                new WebStateImport([Read(Nov(1, 9, 0), "城 管理者", "/old/1", "TOK-A")], [], [], []), "legacy-import:audit.jsonl", null, "sha:100");
        })));

        Assert.Single(wrote, w => w);
        Assert.Equal(["/old/1"], kit.Store.AuditAbout(["TOK-A"], 10).Select(e => e.Route));

        // The next step goes on from the first; a worker still holding the earlier value writes nothing.
        Assert.True(kit.Store.ImportWebState(new WebStateImport([Read(Nov(1, 9, 1), "城 管理者", "/old/2", "TOK-A")], [], [], []), "legacy-import:audit.jsonl", "sha:100", "sha:200"));
        Assert.False(kit.Store.ImportWebState(new WebStateImport([Read(Nov(1, 9, 1), "城 管理者", "/old/2", "TOK-A")], [], [], []), "legacy-import:audit.jsonl", "sha:100", "sha:200"));
        Assert.Equal(["/old/2", "/old/1"], kit.Store.AuditAbout(["TOK-A"], 10).Select(e => e.Route));
        Assert.Equal("sha:200", kit.Store.GetMeta("legacy-import:audit.jsonl"));
    }

    /// <summary>Whether several processes may open this kind of store at one location (PostgreSQL) or only one (LiteDB).</summary>
    protected virtual bool SharedByWorkers => false;

    /// <summary>
    /// Other workers on this test's store location, for what two workers do at once: more stores opened on the
    /// location when the kind allows it, else the one store of the process stands for them.
    /// </summary>
    private IEnumerable<IIngestStore> OtherWorkers(PipelineKit kit, int count) =>
        SharedByWorkers
            ? [.. Enumerable.Range(0, count).Select(_ => Track(new PipelineKit(kit.Time, _openStore!())).Store)]
            : Enumerable.Repeat(kit.Store, count);
}
