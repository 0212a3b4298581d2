using LiteDB;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>How <see cref="LiteTransactions.InTransaction"/> ends a transaction whose writes succeeded.</summary>
internal enum TransactionEnd
{
    Commit,

    /// <summary>A dry run: the writes are rolled back (the ledger's warm-up runs the tap's path without recording).</summary>
    Rollback,
}

/// <summary>
/// The ledger's one way to write: begin, write, commit, and roll back when anything fails (the shape of LiteDB's own
/// AutoTransaction). A transaction left open by an earlier failed write (an I/O error mid-commit) is rolled back
/// before the next one begins, so one bad write never wedges the ledger.
/// </summary>
internal static class LiteTransactions
{
    public static void InTransaction(this LiteDatabase db, ILogger log, Action write, TransactionEnd end = TransactionEnd.Commit)
    {
        Begin(db, log);
        try
        {
            write();
            if (end == TransactionEnd.Commit)
            {
                db.Commit();
                return;
            }
        }
        catch
        {
            TryRollback(db, log);
            throw;
        }

        TryRollback(db, log);
    }

    private static void Begin(LiteDatabase db, ILogger log)
    {
        if (db.BeginTrans())
        {
            return;
        }

        TryRollback(db, log);
        if (!db.BeginTrans())
        {
            throw new IOException("ledger: a transaction could not be started after a failed write");
        }
    }

    private static void TryRollback(LiteDatabase db, ILogger log)
    {
        try
        {
            db.Rollback();
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Ledger rollback failed");
        }
    }
}
