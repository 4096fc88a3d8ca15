namespace DiffusionSteering.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>Learning-rate schedules: a multiplier of the initial rate as a function of the step.</summary>
        public static class lr_scheduler
        {
            /// <summary>A schedule that sets an optimizer's learning rate to initial · factor(step) on each <see cref="step"/>.</summary>
            public sealed class LambdaLR
            {
                private readonly Optimizer _optimizer;
                private readonly Func<long, double> _factor;

                /// <summary>Creates the schedule and applies factor(0).</summary>
                public LambdaLR(Optimizer optimizer, Func<long, double> factor)
                {
                    _optimizer = optimizer;
                    _factor = factor;
                    _optimizer.LearningRate = optimizer.InitialLearningRate * factor(0);
                }

                /// <summary>Number of <see cref="step"/> calls so far.</summary>
                public long LastStep { get; private set; }

                /// <summary>Advances one step and updates the optimizer's learning rate.</summary>
                public void step() => _optimizer.LearningRate = _optimizer.InitialLearningRate * _factor(++LastStep);

                /// <summary>Jumps to a step (when resuming).</summary>
                public void set_step(long step)
                {
                    LastStep = step;
                    _optimizer.LearningRate = _optimizer.InitialLearningRate * _factor(step);
                }
            }

            /// <summary>
            /// Linear warmup from 0 over <paramref name="warmupSteps"/>, then cosine decay to
            /// <paramref name="minFactor"/> at <paramref name="totalSteps"/> (constant after).
            /// </summary>
            public static Func<long, double> WarmupCosine(long warmupSteps, long totalSteps, double minFactor = 0.0)
            {
                CheckSteps(warmupSteps, totalSteps);
                return step =>
                {
                    if (step < warmupSteps) return (step + 1) / (double)warmupSteps;
                    if (step >= totalSteps) return minFactor;
                    var progress = (step - warmupSteps) / (double)Math.Max(1, totalSteps - warmupSteps);
                    return minFactor + (1 - minFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
                };
            }

            /// <summary>Linear warmup then linear decay to <paramref name="minFactor"/> at totalSteps.</summary>
            public static Func<long, double> WarmupLinear(long warmupSteps, long totalSteps, double minFactor = 0.0)
            {
                CheckSteps(warmupSteps, totalSteps);
                return step =>
                {
                    if (step < warmupSteps) return (step + 1) / (double)warmupSteps;
                    if (step >= totalSteps) return minFactor;
                    var progress = (step - warmupSteps) / (double)Math.Max(1, totalSteps - warmupSteps);
                    return 1 - (1 - minFactor) * progress;
                };
            }

            /// <summary>Linear warmup then constant.</summary>
            public static Func<long, double> WarmupConstant(long warmupSteps) =>
                step => warmupSteps <= 0 || step >= warmupSteps ? 1.0 : (step + 1) / (double)warmupSteps;

            private static void CheckSteps(long warmupSteps, long totalSteps)
            {
                if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warmup steps must be non-negative");
                if (totalSteps < warmupSteps) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "total steps must be at least the warmup steps");
            }
        }
    }
}
